package xopstream.interop.axis;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Iterator;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.soap.AttachmentPart;
import org.apache.axis.AxisFault;
import org.apache.axis.Message;
import org.apache.axis.MessageContext;
import org.apache.axis.message.PrefixedQName;
import org.apache.axis.message.SOAPBodyElement;
import org.apache.axis.message.SOAPEnvelope;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The message-style service AxisServer deploys. upload(any body element)
 * answers {urn:xopstream:interop}uploadResponse with one
 * attachment element per AttachmentPart Axis parsed from the request, in
 * Axis's order (contentId as AttachmentPart.getContentId() gives it,
 * contentType, size, sha256 of the DataHandler's bytes), and one ref element
 * per href="cid:..." attribute in the request body: the href and the
 * Content-Id of the part Axis resolves it to (Attachments.getAttachmentByReference),
 * or "unresolved".
 * echo(SOAPEnvelope, SOAPEnvelope) answers {urn:xopstream:interop}echoResponse
 * with a part element per request attachment and sends every request
 * attachment back as an attachment of the response (an Axis-built SwA
 * response), Content-Id "echo-" + the request part's, same type and bytes.
 * An echo element with a refuse attribute gets an AxisFault ("echo refused: "
 * + its value), which Axis sends as a SOAP Fault with HTTP 500.
 */
public final class AttachmentService {
    static final String NS = "urn:xopstream:interop";

    public Element[] upload(Element[] bodies) throws Exception {
        Message request = MessageContext.getCurrentContext().getRequestMessage();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
        Element response = doc.createElementNS(NS, "i:uploadResponse");
        response.setAttribute("body", "{" + bodies[0].getNamespaceURI() + "}" + bodies[0].getLocalName());
        Iterator<?> parts = request.getAttachments();
        while (parts.hasNext()) {
            AttachmentPart part = (AttachmentPart) parts.next();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long size = 0;
            try (InputStream in = part.getDataHandler().getInputStream()) {
                byte[] buffer = new byte[65536];
                for (int n; (n = in.read(buffer)) > 0; size += n) sha.update(buffer, 0, n);
            }
            StringBuilder hex = new StringBuilder();
            for (byte b : sha.digest()) hex.append(String.format("%02x", b));
            Element item = doc.createElementNS(NS, "i:attachment");
            item.setAttribute("contentId", String.valueOf(part.getContentId()));
            item.setAttribute("contentType", String.valueOf(part.getContentType()));
            item.setAttribute("size", Long.toString(size));
            item.setAttribute("sha256", hex.toString());
            response.appendChild(item);
        }
        for (Element body : bodies) refs(body, request, response, doc);
        return new Element[] {response};
    }

    public void echo(SOAPEnvelope request, SOAPEnvelope response) throws Exception {
        MessageContext context = MessageContext.getCurrentContext();
        Message in = context.getRequestMessage();
        Message out = context.getResponseMessage();
        SOAPBodyElement answer = new SOAPBodyElement(new PrefixedQName(NS, "echoResponse", "i"));
        Iterator<?> parts = in.getAttachments();
        String refuse = request.getFirstBody().getAttribute("refuse");
        if (refuse != null && !refuse.isEmpty()) throw new AxisFault("echo refused: " + refuse);
        while (parts.hasNext()) {
            AttachmentPart part = (AttachmentPart) parts.next();
            AttachmentPart copy = out.createAttachmentPart(part.getDataHandler());
            copy.setContentId("echo-" + part.getContentId());
            out.addAttachmentPart(copy);
            answer.addChildElement("part", "i").setAttribute("href", "cid:" + copy.getContentId());
        }
        response.addBodyElement(answer);
    }

    private static void refs(Element element, Message request, Element response, Document doc) throws Exception {
        String href = element.getAttribute("href");
        if (!href.isEmpty()) {
            AttachmentPart part = (AttachmentPart) request.getAttachmentsImpl().getAttachmentByReference(href);
            Element ref = doc.createElementNS(NS, "i:ref");
            ref.setAttribute("element", element.getLocalName());
            ref.setAttribute("href", href);
            ref.setAttribute("contentId", part == null ? "unresolved" : String.valueOf(part.getContentId()));
            response.appendChild(ref);
        }
        NodeList children = element.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            Node child = children.item(i);
            if (child instanceof Element) refs((Element) child, request, response, doc);
        }
    }
}
