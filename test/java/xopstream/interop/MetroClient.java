package xopstream.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.namespace.QName;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.Service;
import javax.xml.ws.WebServiceException;
import javax.xml.ws.soap.MTOMFeature;
import javax.xml.ws.soap.SOAPFaultException;

/**
 * Metro (JAX-WS RI) as an MTOM client: MetroClient WSDLFILE URL SOAPVERSION(1.1|1.2) FILE NAME.
 * Through an SEI proxy (port FilesPort or FilesPort12 of WSDLFILE, address URL)
 * calls upload(NAME, bytes of FILE) with MTOMFeature(threshold 0), prints
 * "RESULT <returned string>", "FAULT <faultstring>" or "TRANSPORT <message>" on stdout.
 */
public final class MetroClient {
    public static void main(String[] args) throws Exception {
        String url = args[1];
        byte[] data = Files.readAllBytes(Path.of(args[3]));
        QName serviceName = new QName("urn:xopstream:interop", "FilesService");
        QName portName = new QName("urn:xopstream:interop", "1.2".equals(args[2]) ? "FilesPort12" : "FilesPort");
        Service service = Service.create(Path.of(args[0]).toUri().toURL(), serviceName);
        xopstream.interop.Files port = service.getPort(portName, xopstream.interop.Files.class, new MTOMFeature(true, 0));
        ((BindingProvider) port).getRequestContext().put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, url);
        try {
            System.out.println("RESULT " + port.upload(args[4], data));
        } catch (SOAPFaultException e) {
            System.out.println("FAULT " + e.getFault().getFaultString());
        } catch (WebServiceException e) {
            // e.g. ClientTransportException: an HTTP status Metro does not read a SOAP answer from.
            System.out.println("TRANSPORT " + e.getMessage());
        }
    }
}
