package xopstream.interop;

import java.security.MessageDigest;
import java.util.Iterator;
import javax.xml.namespace.QName;
import javax.xml.soap.AttachmentPart;
import javax.xml.soap.MessageFactory;
import javax.xml.soap.SOAPConstants;
import javax.xml.soap.SOAPElement;
import javax.xml.soap.SOAPMessage;
import javax.xml.ws.BindingType;
import javax.xml.ws.Provider;
import javax.xml.ws.Service;
import javax.xml.ws.ServiceMode;
import javax.xml.ws.WebServiceProvider;
import javax.xml.ws.soap.SOAPBinding;

/**
 * A Metro Provider&lt;SOAPMessage&gt; endpoint (MESSAGE mode) that receives a
 * SwA request through Metro's MIME decoder and answers with what it got:
 * &lt;i:attachments body="{ns}local"&gt; with one &lt;i:attachment
 * contentId contentType size sha256/&gt; per AttachmentPart, in order.
 * MetroServer publishes it at /swa (SOAP 1.1) and /swa12 (SOAP 1.2).
 */
@WebServiceProvider(serviceName = "SwaService", portName = "SwaPort", targetNamespace = SaajWrite.NS)
@ServiceMode(Service.Mode.MESSAGE)
public class SwaEndpoint implements Provider<SOAPMessage> {
    /** The SOAP 1.2 binding of the same endpoint. */
    @WebServiceProvider(serviceName = "SwaService", portName = "SwaPort12", targetNamespace = SaajWrite.NS)
    @ServiceMode(Service.Mode.MESSAGE)
    @BindingType(SOAPBinding.SOAP12HTTP_BINDING)
    public static final class Soap12 extends SwaEndpoint {
        @Override
        protected String protocol() {
            return SOAPConstants.SOAP_1_2_PROTOCOL;
        }
    }

    protected String protocol() {
        return SOAPConstants.SOAP_1_1_PROTOCOL;
    }

    @Override
    public SOAPMessage invoke(SOAPMessage request) {
        try {
            SOAPMessage response = MessageFactory.newInstance(protocol()).createMessage();
            SOAPElement list = response.getSOAPBody().addBodyElement(new QName(SaajWrite.NS, "attachments", "i"));
            SOAPElement first = (SOAPElement) request.getSOAPBody().getChildElements().next();
            list.addAttribute(new QName("body"), "{" + first.getNamespaceURI() + "}" + first.getLocalName());
            Iterator<?> parts = request.getAttachments();
            while (parts.hasNext()) {
                AttachmentPart part = (AttachmentPart) parts.next();
                byte[] bytes = part.getRawContentBytes();
                StringBuilder hex = new StringBuilder();
                for (byte b : MessageDigest.getInstance("SHA-256").digest(bytes)) hex.append(String.format("%02x", b));
                SOAPElement item = list.addChildElement(new QName(SaajWrite.NS, "attachment", "i"));
                item.addAttribute(new QName("contentId"), String.valueOf(part.getContentId()));
                item.addAttribute(new QName("contentType"), String.valueOf(part.getContentType()));
                item.addAttribute(new QName("size"), String.valueOf(bytes.length));
                item.addAttribute(new QName("sha256"), hex.toString());
            }
            response.saveChanges();
            return response;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
