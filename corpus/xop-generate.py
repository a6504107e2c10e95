# Writes the corpus/xop-*/ fixtures (root.xml + expected.json) of test/xop-scanner.test.ts.
# Expected values were written by hand from the specs and checked by reading the output; rerun: python3 corpus/xop-generate.py
import json, os
root=os.path.dirname(os.path.abspath(__file__))
S11='http://schemas.xmlsoap.org/soap/envelope/'
S12='http://www.w3.org/2003/05/soap-envelope'
XOP='http://www.w3.org/2004/08/xop/include'
def case(name, data, spec):
    d=os.path.join(root,'xop-'+name); os.makedirs(d, exist_ok=True)
    if isinstance(data,str): data=data.encode('utf-8')
    open(os.path.join(d,'root.xml'),'wb').write(data)
    open(os.path.join(d,'expected.json'),'w').write(json.dumps(spec, indent=2, ensure_ascii=False)+'\n')

case('soap11-headers', f'''<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{S11}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:unused="urn:unused" xmlns:m="urn:example:m">
  <soapenv:Header>
    <wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing">http://example.org/svc</wsa:To>
    <m:Session soapenv:mustUnderstand="1">42</m:Session>
  </soapenv:Header>
  <soapenv:Body>
    <m:echo><m:value xsi:type="xsd:string">hello &amp; goodbye</m:value></m:echo>
  </soapenv:Body>
</soapenv:Envelope>
''', {"description":"SOAP 1.1 SwA root with two Header blocks; the payload uses m, xsi by name and xsd in a QName value, so exactly those are re-declared",
 "contentType":"text/xml; charset=UTF-8",
 "result":{"version":"1.1","bodyElement":"{urn:example:m}echo","headerBlocks":["{http://www.w3.org/2005/08/addressing}To","{urn:example:m}Session"],
 "includes":[],"swaRefs":[],"warnings":[],
 "rootDocument":'<m:echo xmlns:m="urn:example:m" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><m:value xsi:type="xsd:string">hello &amp; goodbye</m:value></m:echo>'}})

case('soap12-mtom', f'''<s:Envelope xmlns:s="{S12}" xmlns:xmime="http://www.w3.org/2005/05/xmlmime"><s:Body><p:upload xmlns:p="urn:photos"><p:photo xmime:contentType="image/jpeg">
   <xop:Include xmlns:xop="{XOP}" href="cid:photo%201@example.org"/>
 </p:photo><p:sig><inc:Include xmlns:inc="{XOP}" href="cid:%3Csig@example.org%3E"></inc:Include></p:sig><p:name>x.jpg</p:name></p:upload></s:Body></s:Envelope>''',
 {"description":"SOAP 1.2 MTOM root: two includes (whitespace around one, another prefix for the XOP namespace, percent-encoded hrefs, xmime:contentType)",
 "contentType":'application/xop+xml; charset=UTF-8; type="application/soap+xml"',
 "result":{"version":"1.2","bodyElement":"{urn:photos}upload","headerBlocks":[],
 "includes":[{"cid":"photo 1@example.org","href":"cid:photo%201@example.org","element":"{urn:photos}photo","qname":"p:photo","path":"/s:Envelope/s:Body/p:upload/p:photo","contentType":"image/jpeg"},
             {"cid":"sig@example.org","href":"cid:%3Csig@example.org%3E","element":"{urn:photos}sig","qname":"p:sig","path":"/s:Envelope/s:Body/p:upload/p:sig","contentType":None}],
 "swaRefs":[],"warnings":[],
 "rootDocument":f'<p:upload xmlns:p="urn:photos"><p:photo xmime:contentType="image/jpeg" xmlns:xmime="http://www.w3.org/2005/05/xmlmime">\n   <xop:Include xmlns:xop="{XOP}" href="cid:photo%201@example.org"/>\n </p:photo><p:sig><inc:Include xmlns:inc="{XOP}" href="cid:%3Csig@example.org%3E"></inc:Include></p:sig><p:name>x.jpg</p:name></p:upload>'}})

# fix expectation of soap12-mtom: declarations are inserted right after the document element's name
p=os.path.join(root,'xop-soap12-mtom','expected.json'); e=json.load(open(p))
e['result']['rootDocument']=f'<p:upload xmlns:xmime="http://www.w3.org/2005/05/xmlmime" xmlns:p="urn:photos"><p:photo xmime:contentType="image/jpeg">\n   <xop:Include xmlns:xop="{XOP}" href="cid:photo%201@example.org"/>\n </p:photo><p:sig><inc:Include xmlns:inc="{XOP}" href="cid:%3Csig@example.org%3E"></inc:Include></p:sig><p:name>x.jpg</p:name></p:upload>'
open(p,'w').write(json.dumps(e, indent=2, ensure_ascii=False)+'\n')

ENV11=lambda body, extra='': f'<soapenv:Envelope xmlns:soapenv="{S11}"{extra}><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
def err(name, data, desc, code, offset=None, ct='text/xml', options=None):
    e={"code":code}
    if offset is not None: e["offset"]=offset
    spec={"description":desc,"contentType":ct,"error":e}
    if options: spec["options"]=options
    case(name, data, spec)

err('doctype', f'<?xml version="1.0"?>\n<!DOCTYPE soapenv:Envelope [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;&x;">]>\n'+ENV11('<m:a xmlns:m="urn:m">&y;</m:a>'),
    'a DOCTYPE (here a small entity-expansion bomb) is refused before any entity is expanded (SOAP 1.1 §3, SOAP 1.2 part 1 §5)', 'ERR_XML_DOCTYPE')
err('malformed', ENV11('<m:a xmlns:m="urn:m"><m:b></m:a>'), 'mismatched end tag', 'ERR_XML_MALFORMED')
err('undefined-entity', ENV11('<m:a xmlns:m="urn:m">&bomb;</m:a>'), 'only the five predefined entities exist without a DTD', 'ERR_XML_MALFORMED')
err('unbound-prefix', ENV11('<m:a>x</m:a>'), 'a prefix with no namespace declaration', 'ERR_XML_MALFORMED')
err('truncated', ENV11('<m:a xmlns:m="urn:m">x</m:a>')[:-20], 'the root part ends inside the envelope', 'ERR_XML_MALFORMED')
err('href-http', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="http://attacker.example/secret"/></m:d></m:a>'),
    'an http: href is refused, never fetched (the CXF CVE-2022-46364 class)', 'ERR_XOP_BAD_HREF', 116, 'application/xop+xml; type="text/xml"')
err('href-file', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="file:///etc/passwd"/></m:d></m:a>'),
    'a file: href is refused, never read', 'ERR_XOP_BAD_HREF', 116, 'application/xop+xml; type="text/xml"')
err('href-bad-escape', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:a%zz@b"/></m:d></m:a>'),
    'a malformed percent-escape in a cid: URL (RFC 2392 §2)', 'ERR_XOP_BAD_HREF', 116, 'application/xop+xml; type="text/xml"')
err('include-with-child', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"><m:e/></xop:Include></m:d></m:a>'),
    'xop:Include must be empty (XOP 1.0 §2.1): here it has a child element', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-with-text', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y">AAAA</xop:Include></m:d></m:a>'),
    'xop:Include must be empty (XOP 1.0 §2.1): here it has text', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-nested', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"><xop:Include href="cid:z@y"/></xop:Include></m:d></m:a>'),
    'an xop:Include inside an xop:Include', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-sibling-before', ENV11(f'<m:a xmlns:m="urn:m"><m:d><m:x/><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/></m:d></m:a>'),
    'xop:Include must be the only child of its element: an element precedes it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-sibling-after', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/><m:x/></m:d></m:a>'),
    'xop:Include must be the only child of its element: an element follows it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-text-before', ENV11(f'<m:a xmlns:m="urn:m"><m:d>AAAA<xop:Include xmlns:xop="{XOP}" href="cid:x@y"/></m:d></m:a>'),
    'xop:Include must be the only child of its element: text precedes it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-text-after', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/>AAAA</m:d></m:a>'),
    'xop:Include must be the only child of its element: text follows it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-comment-sibling', ENV11(f'<m:a xmlns:m="urn:m"><m:d><!-- c --><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/></m:d></m:a>'),
    'xop:Include must be the only child of its element: a comment precedes it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-cdata', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"><![CDATA[x]]></xop:Include></m:d></m:a>'),
    'xop:Include must be empty: a CDATA section inside', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-no-href', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}"/></m:d></m:a>'),
    'xop:Include must carry an href (XOP 1.0 §2.1)', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('not-envelope', '<?xml version="1.0"?><Book><name>CXF in Action</name></Book>', 'the document element is not a SOAP Envelope', 'ERR_SOAP_NOT_ENVELOPE')
err('envelope-unknown-ns', '<e:Envelope xmlns:e="urn:not-soap"><e:Body/></e:Envelope>', 'an Envelope in an unknown namespace (SOAP VersionMismatch)', 'ERR_SOAP_NOT_ENVELOPE')
err('no-body', f'<soapenv:Envelope xmlns:soapenv="{S11}"><soapenv:Header/></soapenv:Envelope>', 'an Envelope without a Body', 'ERR_SOAP_NO_BODY')
err('strict-mismatch', f'<s:Envelope xmlns:s="{S12}"><s:Body><m:a xmlns:m="urn:m"/></s:Body></s:Envelope>',
    'strict: the root part says text/xml (SOAP 1.1), the envelope is SOAP 1.2', 'ERR_SOAP_VERSION_MISMATCH', None, 'application/xop+xml; type="text/xml"', {"strict": True})
err('bad-utf8', ENV11('<m:a xmlns:m="urn:m">caf\u00e9</m:a>').encode('utf-8').replace(b'\xc3\xa9', b'\xe9'), 'a Latin-1 byte in a UTF-8 root part', 'ERR_XML_BAD_ENCODING', None, 'text/xml; charset=utf-8')
err('truncated-utf8', ENV11('<m:a xmlns:m="urn:m">x</m:a>').encode('utf-8') + b'\xe6\x97', 'the root part ends inside a UTF-8 character', 'ERR_XML_BAD_ENCODING')
err('unknown-charset', ENV11('<m:a xmlns:m="urn:m">x</m:a>'), 'a charset no decoder knows', 'ERR_XML_BAD_ENCODING', None, 'text/xml; charset=x-no-such-charset')
err('too-deep', ENV11('<m:a xmlns:m="urn:m"><m:b><m:c><m:d/></m:c></m:b></m:a>'), 'elements nest deeper than limits.depth', 'ERR_XML_TOO_DEEP', None, 'text/xml', {"limits": {"depth": 5}})
err('too-many-attributes', ENV11('<m:a xmlns:m="urn:m" a="1" b="2" c="3" d="4"/>'), 'more attributes than limits.attributes', 'ERR_XML_TOO_MANY_ATTRIBUTES', None, 'text/xml', {"limits": {"attributes": 4}})
err('too-large', ENV11('<m:a xmlns:m="urn:m">' + 'x'*200 + '</m:a>'), 'a root part larger than limits.rootBytes', 'ERR_XML_TOO_LARGE', 150, 'text/xml', {"limits": {"rootBytes": 150}})

def ok(name, data, desc, result, ct='text/xml', options=None):
    spec={"description":desc,"contentType":ct,"result":result}
    if options: spec["options"]=options
    case(name, data, spec)
R=lambda **kw: dict({"version":"1.1","bodyElement":None,"headerBlocks":[],"includes":[],"swaRefs":[],"warnings":[]}, **kw)

# node-soap labels SOAP 1.2 MTOM as type="text/xml": a warning, the envelope decides
ok('version-mismatch', f'<s:Envelope xmlns:s="{S12}"><s:Body><m:a xmlns:m="urn:m"/></s:Body></s:Envelope>',
   'node-soap style: root type="text/xml" but a SOAP 1.2 envelope; lenient by default',
   R(version="1.2", bodyElement="{urn:m}a", warnings=['the root part\'s type parameter "text/xml" announces SOAP 1.1 but the envelope is SOAP 1.2; the envelope\'s namespace decides'],
     rootDocument='<m:a xmlns:m="urn:m"/>'), 'application/xop+xml; type="text/xml"')
ok('start-info', f'<s:Envelope xmlns:s="{S12}"><s:Body><m:a xmlns:m="urn:m"/></s:Body></s:Envelope>',
   'the root has no type parameter; the multipart start-info says application/soap+xml',
   R(version="1.2", bodyElement="{urn:m}a", rootDocument='<m:a xmlns:m="urn:m"/>'), 'application/xop+xml',
   {"multipartType": "application/xop+xml", "startInfo": "application/soap+xml; action=\"urn:x\""})
ok('empty-body', f'<soapenv:Envelope xmlns:soapenv="{S11}"><soapenv:Header><h:a xmlns:h="urn:h"/></soapenv:Header><soapenv:Body/></soapenv:Envelope>',
   'an empty Body: no body element, no root document',
   R(headerBlocks=["{urn:h}a"], rootDocument=None))
ok('multi-body-children', f'''<soapenv:Envelope xmlns:soapenv="{S11}" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns1="urn:ns1"><soapenv:Body soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
<ns1:getQuote href="#id0"/>
<multiRef id="id0" soapenc:root="0"><symbol>IBM</symbol></multiRef>
</soapenv:Body></soapenv:Envelope>''',
   'Axis 1 rpc/encoded multiRef: two Body children, so the root document is the Body element itself',
   R(bodyElement="{urn:ns1}getQuote", bodyElements=["{urn:ns1}getQuote","multiRef"],
     warnings=["the Body has 2 child elements; the root document is the Body element itself"],
     rootDocument=f'<soapenv:Body xmlns:soapenv="{S11}" xmlns:ns1="urn:ns1" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">\n<ns1:getQuote href="#id0"/>\n<multiRef id="id0" soapenc:root="0"><symbol>IBM</symbol></multiRef>\n</soapenv:Body>'))
ok('swaref', f'''<soapenv:Envelope xmlns:soapenv="{S11}"><soapenv:Body><m:send xmlns:m="urn:m"><m:doc>
  cid:doc%201@example.org
</m:doc><m:pic href="cid:pic@example.org"/><m:note>cid: is a scheme</m:note><m:mixed>cid:a@b<m:x/></m:mixed></m:send></soapenv:Body></soapenv:Envelope>''',
   'a swaRef (WS-I AP: element text that is a cid: URL) and an Axis-1 style href attribute; text that is not a whole cid: URL ("cid: is a scheme", text mixed with elements) is not one',
   R(bodyElement="{urn:m}send", swaRefs=[
       {"kind":"text","cid":"doc 1@example.org","href":"cid:doc%201@example.org","element":"{urn:m}doc","qname":"m:doc","path":"/soapenv:Envelope/soapenv:Body/m:send/m:doc"},
       {"kind":"href","cid":"pic@example.org","href":"cid:pic@example.org","element":"{urn:m}pic","qname":"m:pic","path":"/soapenv:Envelope/soapenv:Body/m:send/m:pic"}],
     warnings=[],
     rootDocument='<m:send xmlns:m="urn:m"><m:doc>\n  cid:doc%201@example.org\n</m:doc><m:pic href="cid:pic@example.org"/><m:note>cid: is a scheme</m:note><m:mixed>cid:a@b<m:x/></m:mixed></m:send>'))
ok('default-namespace', f'<Envelope xmlns="{S11}"><Header/><Body><getPrice xmlns="urn:shop"><item>x</item></getPrice><!-- after --></Body></Envelope>',
   'unprefixed SOAP elements (default namespace); the payload declares its own default, so nothing is re-declared',
   R(bodyElement="{urn:shop}getPrice", rootDocument='<getPrice xmlns="urn:shop"><item>x</item></getPrice>'))
ok('inherited-default-namespace', f'<e:Envelope xmlns:e="{S11}" xmlns="urn:shop"><e:Body><getPrice><item>x</item></getPrice></e:Body></e:Envelope>',
   'the payload is in a default namespace declared on the Envelope: it is re-declared on the payload',
   R(bodyElement="{urn:shop}getPrice", rootDocument='<getPrice xmlns="urn:shop"><item>x</item></getPrice>'))
ok('fault', f'<soapenv:Envelope xmlns:soapenv="{S11}"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>boom</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
   'a SOAP 1.1 Fault: the soapenv prefix is used by name and in the faultcode QName',
   R(bodyElement=f"{{{S11}}}Fault", rootDocument=f'<soapenv:Fault xmlns:soapenv="{S11}"><faultcode>soapenv:Server</faultcode><faultstring>boom</faultstring></soapenv:Fault>'))
ok('non-soap-xop', f'''<m:data xmlns:m='http://example.org/stuff'>\r\n  <m:photo><xop:Include \r\n  xmlns:xop='{XOP}' \r\n  href='cid:http://example.org/me.png'/></m:photo>\r\n</m:data>\r\n''',
   'a non-SOAP XOP package (the W3C XOP spec example) scanned with requireEnvelope: false',
   {"version":None,"bodyElement":None,"headerBlocks":[],"swaRefs":[],"warnings":[],
    "includes":[{"cid":"http://example.org/me.png","href":"cid:http://example.org/me.png","element":"{http://example.org/stuff}photo","qname":"m:photo","path":"/m:data/m:photo","contentType":None}],
    "rootDocument":f"<m:data xmlns:m='http://example.org/stuff'>\r\n  <m:photo><xop:Include \r\n  xmlns:xop='{XOP}' \r\n  href='cid:http://example.org/me.png'/></m:photo>\r\n</m:data>"},
   'application/xop+xml; type="text/xml"', {"requireEnvelope": False})
ok('utf8-multibyte', f'\ufeff<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{S11}"><soapenv:Body><日本:données xmlns:日本="urn:ja">😀 café 日本語<日本:pièce>\n\t<xop:Include xmlns:xop="{XOP}" href="cid:caf%C3%A9@example.org"/>\n</日本:pièce></日本:données></soapenv:Body></soapenv:Envelope>',
   'UTF-8 with a BOM, non-ASCII names, text and an astral character: offsets stay right when chunks split characters',
   R(bodyElement="{urn:ja}données", includes=[{"cid":"café@example.org","href":"cid:caf%C3%A9@example.org","element":"{urn:ja}pièce","qname":"日本:pièce","path":"/soapenv:Envelope/soapenv:Body/日本:données/日本:pièce","contentType":None}],
     warnings=["the root part holds xop:Include elements but its media type is text/xml, not application/xop+xml"],
     rootDocument=f'<日本:données xmlns:日本="urn:ja">😀 café 日本語<日本:pièce>\n\t<xop:Include xmlns:xop="{XOP}" href="cid:caf%C3%A9@example.org"/>\n</日本:pièce></日本:données>'))
u16=(f'\ufeff<?xml version="1.0" encoding="UTF-16"?><s:Envelope xmlns:s="{S12}"><s:Body><m:größe xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/></m:d>😀</m:größe></s:Body></s:Envelope>').encode('utf-16-le')
ok('utf16-bom', u16, 'UTF-16LE with a BOM (as .NET peers may send): decoded, offsets and root document in UTF-8',
   R(version="1.2", bodyElement="{urn:m}größe", includes=[{"cid":"x@y","href":"cid:x@y","element":"{urn:m}d","qname":"m:d","path":"/s:Envelope/s:Body/m:größe/m:d","contentType":None}],
     rootDocument=f'<m:größe xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/></m:d>😀</m:größe>', encoding="utf-16le"),
   'application/xop+xml; charset=UTF-16; type="application/soap+xml"')
u16be=(f'<s:Envelope xmlns:s="{S12}"><s:Body><m:a xmlns:m="urn:m">ü</m:a></s:Body></s:Envelope>').encode('utf-16-be')
ok('utf16be-no-bom', u16be, 'UTF-16BE without a BOM, charset=UTF-16: the first code unit tells the byte order',
   R(version="1.2", bodyElement="{urn:m}a", rootDocument='<m:a xmlns:m="urn:m">ü</m:a>', encoding="utf-16be"), 'application/soap+xml; charset=utf-16')
lat=(f'<?xml version="1.0" encoding="ISO-8859-1"?><soapenv:Envelope xmlns:soapenv="{S11}"><soapenv:Body><m:a xmlns:m="urn:m">Größe</m:a></soapenv:Body></soapenv:Envelope>').encode('latin-1')
ok('latin1-declared', lat, 'no charset parameter; the XML declaration says ISO-8859-1',
   R(bodyElement="{urn:m}a", rootDocument='<m:a xmlns:m="urn:m">Größe</m:a>', encoding="windows-1252"))

err('include-comment-after', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/><!-- c --></m:d></m:a>'),
    'xop:Include must be the only child of its element: a comment follows it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-pi-inside', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y"><?pi x?></xop:Include></m:d></m:a>'),
    'xop:Include must be empty: a processing instruction inside', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-comment-inside', ENV11(f'<m:a xmlns:m="urn:m"><m:d><xop:Include xmlns:xop="{XOP}" href="cid:x@y">\n<!-- c -->\n</xop:Include></m:d></m:a>'),
    'xop:Include must be empty: a comment inside', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
err('include-cdata-before', ENV11(f'<m:a xmlns:m="urn:m"><m:d><![CDATA[]]><xop:Include xmlns:xop="{XOP}" href="cid:x@y"/></m:d></m:a>'),
    'xop:Include must be the only child of its element: an (empty) CDATA section precedes it', 'ERR_XOP_BAD_INCLUDE', None, 'application/xop+xml; type="text/xml"')
ok('include-with-neighbours', ENV11(f'<!-- before --><m:a xmlns:m="urn:m"><?keep this?><m:d> <xop:Include xmlns:xop="{XOP}" href="cid:x@y"> </xop:Include> </m:d><!-- ok --><m:e><![CDATA[<not-markup/>]]></m:e></m:a>'),
   'an include with whitespace inside and around it, and comments, PIs and CDATA elsewhere: valid',
   R(bodyElement="{urn:m}a", includes=[{"cid":"x@y","href":"cid:x@y","element":"{urn:m}d","qname":"m:d","path":"/soapenv:Envelope/soapenv:Body/m:a/m:d","contentType":None}],
     rootDocument=f'<m:a xmlns:m="urn:m"><?keep this?><m:d> <xop:Include xmlns:xop="{XOP}" href="cid:x@y"> </xop:Include> </m:d><!-- ok --><m:e><![CDATA[<not-markup/>]]></m:e></m:a>'),
   'application/xop+xml; type="text/xml"')
