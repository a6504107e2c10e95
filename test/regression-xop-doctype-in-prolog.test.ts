// Regression (hardening, issue 6): a DOCTYPE in the root part's prolog was only
// rejected once saxes had read it whole, so an unterminated one
// (`<!DOCTYPE x [<!ENTITY a "...` and never a `>`) was buffered up to
// limits.rootBytes (64 MiB by default) before ERR_XML_DOCTYPE, or ERR_XML_TOO_LARGE
// came instead. It is now rejected as soon as `<!DOCTYPE` is complete, at the
// byte offset of its '<', whatever the chunking. XML is case-sensitive:
// `<!doctype` is no declaration but malformed markup (ERR_XML_MALFORMED), and
// `<!DOCTYPE` inside a comment or a processing instruction is just their text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXopError, scanSoap, SoapScanner, type XopError } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENVELOPE = `<s:Envelope xmlns:s="${SOAP11}"><s:Body><m:a xmlns:m="urn:m">caf\u00e9</m:a></s:Body></s:Envelope>`;

/** Scans `chunks`; the error, or null when the scan succeeds. */
function scanChunks(chunks: Uint8Array[], contentType = 'text/xml'): XopError | null {
  const scanner = new SoapScanner({ contentType });
  try {
    for (const c of chunks) scanner.write(c);
    scanner.end();
    return null;
  } catch (error) {
    assert.ok(isXopError(error), String(error));
    return error;
  }
}

/** Every chunking of the matrix, and every split in two, gives `code` at `offset`. */
function assertEverywhere(bytes: Buffer, code: string, offset: number, label: string, contentType = 'text/xml'): void {
  const splits: Array<{ name: string; chunks: Uint8Array[] }> = CHUNKINGS.map((c) => ({ name: c.name, chunks: c.split(bytes) }));
  for (let at = 0; at <= bytes.length; at++) splits.push({ name: `split at ${at}`, chunks: [bytes.subarray(0, at), bytes.subarray(at)] });
  for (const { name, chunks } of splits) {
    const error = scanChunks(chunks, contentType);
    assert.ok(error !== null, `${label} (${name}): no error`);
    assert.equal(error.code, code, `${label} (${name}): ${error.message}`);
    assert.equal(error.offset, offset, `${label} (${name}): ${error.message}`);
  }
}

test('a DOCTYPE in the prolog is ERR_XML_DOCTYPE at its "<", under every chunking', () => {
  const prologs = [
    '',
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml version="1.0"?>\r\n  \t',
    '<!-- a comment with <!DOCTYPE inside, and - dashes -->\n',
    '<?pi <!DOCTYPE is text here ?>',
    '\ufeff',
  ];
  const doctypes = [
    '<!DOCTYPE s:Envelope>',
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>',
    '<!DOCTYPE foo SYSTEM "http://127.0.0.1:1/evil.dtd">',
    '<!DOCTYPE',
    '<!DOCTYPE x [<!ENTITY a "never closed',
  ];
  for (const prolog of prologs) {
    for (const doctype of doctypes) {
      const bytes = Buffer.from(prolog + doctype + ENVELOPE, 'utf8');
      assertEverywhere(bytes, 'ERR_XML_DOCTYPE', Buffer.byteLength(prolog, 'utf8'), JSON.stringify(prolog + doctype));
    }
  }
});

test('a DOCTYPE in a UTF-16 root part is rejected at its "<" in the UTF-8 space', () => {
  // The XML declaration of a transcoded document is dropped (decoder.ts), so the offset counts from after it.
  const bytes = Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [', 'utf16le');
  assertEverywhere(bytes, 'ERR_XML_DOCTYPE', 1, 'utf-16le');
  const noDecl = Buffer.from('\ufeff <!DOCTYPE x>' + ENVELOPE, 'utf16le');
  assertEverywhere(noDecl, 'ERR_XML_DOCTYPE', 1, 'utf-16le without a declaration');
});

test('an unterminated 10 MB DOCTYPE is rejected at once: nothing past the chunk holding "<!DOCTYPE" is read', async () => {
  let pulled = 0;
  function* source(): Iterable<Uint8Array> {
    const head = Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "');
    pulled += head.length;
    yield head;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 160; i++) {
      pulled += chunk.length;
      yield chunk;
    }
  }
  await assert.rejects(scanSoap(source(), { contentType: 'text/xml' }), (error: unknown) => {
    assert.ok(isXopError(error));
    assert.equal(error.code, 'ERR_XML_DOCTYPE');
    assert.equal(error.offset, '<?xml version="1.0"?>'.length);
    return true;
  });
  assert.ok(pulled < 64 * 1024, `pulled ${pulled} bytes`);
});

test('"<!DOCTYPE" split across chunks at every byte is found when its last letter arrives', () => {
  const prolog = '<?xml version="1.0"?>\n';
  const bytes = Buffer.from(prolog + '<!DOCTYPE x>' + ENVELOPE);
  const doctypeEnd = prolog.length + '<!DOCTYPE'.length;
  const scanner = new SoapScanner({ contentType: 'text/xml' });
  for (let i = 0; i < doctypeEnd - 1; i++) scanner.write(bytes.subarray(i, i + 1));
  assert.throws(() => scanner.write(bytes.subarray(doctypeEnd - 1, doctypeEnd)),
    (error: unknown) => isXopError(error) && error.code === 'ERR_XML_DOCTYPE' && error.offset === prolog.length);
});

test('<!doctype (lower case) is malformed markup, not a declaration; under every chunking the same error', () => {
  for (const decl of ['<!doctype x>', '<!Doctype x>', '<!DOCTYPx>']) {
    const bytes = Buffer.from(decl + ENVELOPE);
    const whole = scanChunks([bytes]);
    assert.ok(whole !== null);
    assert.equal(whole.code, 'ERR_XML_MALFORMED', decl);
    assertEverywhere(bytes, 'ERR_XML_MALFORMED', whole.offset!, decl);
  }
});

test('an earlier error in the prolog wins over the DOCTYPE after it', () => {
  // Text before the DOCTYPE: text outside the document element, at its first character.
  assertEverywhere(Buffer.from('  junk<!DOCTYPE x>' + ENVELOPE), 'ERR_XML_MALFORMED', 2, 'text first');
  // '--' inside a comment (XML 1.0 §2.5) before the DOCTYPE.
  const comment = Buffer.from('<!-- a -- b --><!DOCTYPE x>' + ENVELOPE);
  const whole = scanChunks([comment]);
  assert.equal(whole?.code, 'ERR_XML_MALFORMED');
  assertEverywhere(comment, 'ERR_XML_MALFORMED', whole!.offset!, 'bad comment first');
});

test('a DOCTYPE after the document element is malformed (saxes), not buffered; "<!DOCTYPE" in comments and PIs is allowed', () => {
  const after = Buffer.from(ENVELOPE + '\n<!DOCTYPE x [<!ENTITY a "never closed');
  const whole = scanChunks([after]);
  assert.equal(whole?.code, 'ERR_XML_MALFORMED');
  assertEverywhere(after, 'ERR_XML_MALFORMED', whole!.offset!, 'after the document element');
  for (const misc of ['<!-- <!DOCTYPE x> -->', '<?pi <!DOCTYPE x>?>', '<?xml version="1.0"?><!----><?a?>', '<!-- - --><?b ??>']) {
    const bytes = Buffer.from(misc + ENVELOPE + misc.replace('<?xml version="1.0"?>', ''));
    for (const { name, split } of CHUNKINGS) {
      assert.equal(scanChunks(split(bytes)), null, `${misc} (${name})`);
    }
  }
});

test('markup the prolog scanner leaves to saxes (an end tag, a CDATA section) is malformed at the same offset under every chunking', () => {
  for (const prolog of ['</x>', '<![CDATA[x]]>', '<!x>', '<!-x>']) {
    const bytes = Buffer.from(prolog + '<!DOCTYPE y>' + ENVELOPE);
    const whole = scanChunks([bytes]);
    assert.equal(whole?.code, 'ERR_XML_MALFORMED', prolog);
    assertEverywhere(bytes, 'ERR_XML_MALFORMED', whole!.offset!, prolog);
  }
});
