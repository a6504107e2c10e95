package xopstream.interop;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import javax.jws.WebService;
import javax.xml.ws.BindingType;
import javax.xml.ws.Endpoint;
import javax.xml.ws.soap.MTOM;
import javax.xml.ws.soap.SOAPBinding;

/**
 * Metro (JAX-WS RI) as an MTOM endpoint on loopback: MetroServer.
 * Publishes Files at http://127.0.0.1:PORT/files (SOAP 1.1) and /files12
 * (SOAP 1.2), both @MTOM with threshold 0, and SwaEndpoint at /swa and
 * /swa12, on a port the system picks (the
 * JDK's HTTP server, Metro's own Endpoint transport), prints "LISTENING PORT",
 * and stops when stdin closes.
 */
@MTOM(enabled = true, threshold = 0)
@WebService(endpointInterface = "xopstream.interop.Files", serviceName = "FilesService", portName = "FilesPort",
    targetNamespace = "urn:xopstream:interop")
public final class MetroServer implements xopstream.interop.Files {
    @Override
    public String upload(String name, byte[] data) {
        try {
            StringBuilder hex = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(data)) hex.append(String.format("%02x", b));
            return name + " " + data.length + " " + hex;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public byte[] echo(byte[] data) {
        return data;
    }

    /** The same service on a SOAP 1.2 binding. */
    @MTOM(enabled = true, threshold = 0)
    @BindingType(SOAPBinding.SOAP12HTTP_BINDING)
    @WebService(endpointInterface = "xopstream.interop.Files", serviceName = "FilesService", portName = "FilesPort12",
        targetNamespace = "urn:xopstream:interop")
    public static final class Soap12 implements xopstream.interop.Files {
        private final MetroServer impl = new MetroServer();

        @Override
        public String upload(String name, byte[] data) {
            return impl.upload(name, data);
        }

        @Override
        public byte[] echo(byte[] data) {
            return data;
        }
    }

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Endpoint endpoint = Endpoint.create(new MetroServer());
        endpoint.publish(server.createContext("/files"));
        Endpoint endpoint12 = Endpoint.create(new Soap12());
        endpoint12.publish(server.createContext("/files12"));
        Endpoint swa = Endpoint.create(new SwaEndpoint());
        swa.publish(server.createContext("/swa"));
        Endpoint swa12 = Endpoint.create(new SwaEndpoint.Soap12());
        swa12.publish(server.createContext("/swa12"));
        server.start();
        System.out.println("LISTENING " + server.getAddress().getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        while (in.readLine() != null) { /* until stdin closes */ }
        endpoint.stop();
        endpoint12.stop();
        swa.stop();
        swa12.stop();
        server.stop(0);
    }
}
