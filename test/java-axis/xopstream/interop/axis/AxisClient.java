package xopstream.interop.axis;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import javax.activation.DataHandler;
import javax.mail.util.ByteArrayDataSource;
import javax.xml.namespace.QName;
import javax.xml.rpc.ParameterMode;
import org.apache.axis.AxisFault;
import org.apache.axis.MessageContext;
import org.apache.axis.transport.http.HTTPConstants;
import org.apache.axis.client.Call;
import org.apache.axis.client.Service;
import org.apache.axis.encoding.XMLType;
import org.apache.axis.encoding.ser.JAFDataHandlerDeserializerFactory;
import org.apache.axis.encoding.ser.JAFDataHandlerSerializerFactory;

/**
 * An Apache Axis 1.4 client with no WSDL: a dynamic org.apache.axis.client.Call
 * (RPC/encoded, SOAP 1.1) of {urn:xopstream:interop}upload(name, photo, notes)
 * where photo and notes are DataHandler parameters (Axis serializes each as an
 * element with href="cid:..." and a MIME part of its own), plus one more
 * attachment added with Call.addAttachmentPart (not referenced from the body).
 * AxisClient URL TRANSPORT NAME PHOTO(image/jpeg) NOTES(text/plain) EXTRA(application/octet-stream)
 * TRANSPORT: "http10" is Axis's default HTTPSender mode (HTTP/1.0 with the
 * Content-Length Axis computes); "chunked" is HTTP/1.1 with
 * Transfer-Encoding: chunked (set through HTTPConstants.REQUEST_HEADERS),
 * which does not depend on that computed length.
 * Prints "RESULT string" (the xsd:string the answer returns) or
 * "FAULT faultCodeLocalPart faultString".
 */
public final class AxisClient {
    static final String NS = "urn:xopstream:interop";

    static DataHandler handler(String file, String type) throws Exception {
        return new DataHandler(new ByteArrayDataSource(Files.readAllBytes(Path.of(file)), type));
    }

    public static void main(String[] args) throws Exception {
        Call call = (Call) new Service().createCall();
        call.setTargetEndpointAddress(new URL(args[0]));
        call.setOperationName(new QName(NS, "upload"));
        call.setSOAPActionURI(NS + "/upload");
        call.setProperty(Call.ATTACHMENT_ENCAPSULATION_FORMAT, Call.ATTACHMENT_ENCAPSULATION_FORMAT_MIME);
        QName dataHandlerType = new QName(NS, "DataHandler");
        call.registerTypeMapping(DataHandler.class, dataHandlerType,
            JAFDataHandlerSerializerFactory.class, JAFDataHandlerDeserializerFactory.class);
        call.addParameter("name", XMLType.XSD_STRING, ParameterMode.IN);
        call.addParameter("photo", dataHandlerType, ParameterMode.IN);
        call.addParameter("notes", dataHandlerType, ParameterMode.IN);
        call.setReturnType(XMLType.XSD_STRING);
        call.addAttachmentPart(handler(args[5], "application/octet-stream"));
        if ("chunked".equals(args[1])) {
            call.setProperty(MessageContext.HTTP_TRANSPORT_VERSION, HTTPConstants.HEADER_PROTOCOL_V11);
            Hashtable<String, String> headers = new Hashtable<>();
            headers.put(HTTPConstants.HEADER_TRANSFER_ENCODING, HTTPConstants.HEADER_TRANSFER_ENCODING_CHUNKED);
            call.setProperty(HTTPConstants.REQUEST_HEADERS, headers);
        }
        try {
            Object result = call.invoke(new Object[] {args[2], handler(args[3], "image/jpeg"), handler(args[4], "text/plain")});
            System.out.println("RESULT " + result);
        } catch (AxisFault fault) {
            System.out.println("FAULT " + fault.getFaultCode().getLocalPart() + " " + fault.getFaultString());
        }
    }
}
