package xopstream.interop;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.namespace.QName;
import javax.xml.soap.AttachmentPart;
import javax.xml.soap.MessageFactory;
import javax.xml.soap.SOAPBodyElement;
import javax.xml.soap.SOAPConstants;
import javax.xml.soap.SOAPElement;
import javax.xml.soap.SOAPMessage;

/**
 * SAAJ RI as a SwA sender: SaajWrite OUTDIR SOAPVERSION(1.1|1.2) PHOTO NOTES DOC.
 * Builds a SOAPMessage whose Body references three attachments:
 * PHOTO (application/octet-stream, Content-Id photo@xopstream.test, by href="cid:…"),
 * NOTES (application/octet-stream, no Content-Id, Content-Location
 * http://example.org/notes.bin, by href to that URL) and DOC (text/xml,
 * Content-Id doc.xml@xopstream.test, by swaRef-style element text), calls
 * saveChanges(), and writes the message's MIME Content-Type header to
 * OUTDIR/content-type.txt and writeTo()'s bytes to OUTDIR/message.bin.
 */
public final class SaajWrite {
    static final String NS = "urn:xopstream:interop";

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        SOAPMessage message = build(args[1], Path.of(args[2]), Path.of(args[3]), Path.of(args[4]));
        String[] contentType = message.getMimeHeaders().getHeader("Content-Type");
        Files.write(out.resolve("content-type.txt"), contentType[0].getBytes(StandardCharsets.UTF_8));
        try (OutputStream stream = new FileOutputStream(out.resolve("message.bin").toFile())) {
            message.writeTo(stream);
        }
    }

    /** The message described above, changes saved. */
    static SOAPMessage build(String version, Path photoFile, Path notesFile, Path docFile) throws Exception {
        String protocol = "1.2".equals(version) ? SOAPConstants.SOAP_1_2_PROTOCOL : SOAPConstants.SOAP_1_1_PROTOCOL;
        byte[] photo = Files.readAllBytes(photoFile);
        byte[] notes = Files.readAllBytes(notesFile);
        byte[] doc = Files.readAllBytes(docFile);

        SOAPMessage message = MessageFactory.newInstance(protocol).createMessage();
        SOAPBodyElement upload = message.getSOAPBody().addBodyElement(new QName(NS, "upload", "m"));
        upload.addChildElement(new QName(NS, "title", "m")).addTextNode("three attachments from SAAJ");
        upload.addChildElement(new QName(NS, "photo", "m")).addAttribute(new QName("href"), "cid:photo@xopstream.test");
        upload.addChildElement(new QName(NS, "notes", "m")).addAttribute(new QName("href"), "http://example.org/notes.bin");
        SOAPElement docRef = upload.addChildElement(new QName(NS, "doc", "m"));
        docRef.addTextNode("cid:doc.xml@xopstream.test");

        AttachmentPart photoPart = message.createAttachmentPart();
        photoPart.setRawContentBytes(photo, 0, photo.length, "application/octet-stream");
        photoPart.setContentId("<photo@xopstream.test>");
        message.addAttachmentPart(photoPart);

        AttachmentPart notesPart = message.createAttachmentPart();
        notesPart.setRawContentBytes(notes, 0, notes.length, "application/octet-stream");
        notesPart.setContentLocation("http://example.org/notes.bin");
        message.addAttachmentPart(notesPart);

        AttachmentPart docPart = message.createAttachmentPart();
        docPart.setRawContentBytes(doc, 0, doc.length, "text/xml; charset=utf-8");
        docPart.setContentId("<doc.xml@xopstream.test>");
        message.addAttachmentPart(docPart);

        message.saveChanges();
        return message;
    }
}
