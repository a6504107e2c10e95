package xopstream.interop;

import java.nio.file.Path;
import java.util.Iterator;
import javax.xml.namespace.QName;
import javax.xml.soap.SOAPConnection;
import javax.xml.soap.SOAPConnectionFactory;
import javax.xml.soap.SOAPElement;
import javax.xml.soap.SOAPMessage;
import javax.xml.ws.Dispatch;
import javax.xml.ws.Service;
import javax.xml.ws.soap.SOAPBinding;

/**
 * Sends SaajWrite's SwA message over HTTP and prints what the answer says:
 * SwaClient TRANSPORT(metro|saaj) URL SOAPVERSION PHOTO NOTES DOC.
 * metro: a JAX-WS Dispatch&lt;SOAPMessage&gt; in MESSAGE mode (Metro's own
 * SwA encoder writes the multipart); saaj: SAAJ RI's SOAPConnection.call.
 * Prints "RECEIVED rootDocumentId attachments", then one "ATTACHMENT
 * contentId contentType size" line per x:attachment of the answer (the
 * xopstream receiver's default answer), or "FAULT faultstring".
 */
public final class SwaClient {
    static final String RECEIVER_NS = "urn:xopstream:receiver:1";

    public static void main(String[] args) throws Exception {
        String transport = args[0];
        String url = args[1];
        String version = args[2];
        SOAPMessage request = SaajWrite.build(version, Path.of(args[3]), Path.of(args[4]), Path.of(args[5]));
        SOAPMessage response;
        if ("metro".equals(transport)) {
            QName serviceName = new QName(SaajWrite.NS, "Receiver");
            QName portName = new QName(SaajWrite.NS, "ReceiverPort");
            Service service = Service.create(serviceName);
            service.addPort(portName, "1.2".equals(version) ? SOAPBinding.SOAP12HTTP_BINDING : SOAPBinding.SOAP11HTTP_BINDING, url);
            Dispatch<SOAPMessage> dispatch = service.createDispatch(portName, SOAPMessage.class, Service.Mode.MESSAGE);
            response = dispatch.invoke(request);
        } else {
            SOAPConnection connection = SOAPConnectionFactory.newInstance().createConnection();
            try {
                response = connection.call(request, url);
            } finally {
                connection.close();
            }
        }
        if (response.getSOAPBody().hasFault()) {
            System.out.println("FAULT " + response.getSOAPBody().getFault().getFaultString());
            return;
        }
        SOAPElement received = (SOAPElement) response.getSOAPBody().getChildElements(new QName(RECEIVER_NS, "received")).next();
        System.out.println("RECEIVED " + received.getAttribute("rootDocumentId") + " " + received.getAttribute("attachments"));
        Iterator<?> items = received.getChildElements(new QName(RECEIVER_NS, "attachment"));
        while (items.hasNext()) {
            SOAPElement item = (SOAPElement) items.next();
            System.out.println("ATTACHMENT " + item.getAttribute("contentId") + " " + item.getAttribute("contentType").replace(" ", "")
                + " " + item.getAttribute("size"));
        }
    }
}
