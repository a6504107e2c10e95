package xopstream.interop.axis;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.apache.axis.configuration.XMLStringProvider;
import org.apache.axis.transport.http.SimpleAxisServer;

/**
 * Axis 1.4's standalone HTTP server (SimpleAxisServer, no servlet container)
 * on a free loopback port, with one message-style service deployed from WSDD:
 * /axis/services/Attachments → AttachmentService (java:MSG provider,
 * operations upload and echo).
 * Prints "LISTENING port" once it accepts connections; stops when stdin closes.
 */
public final class AxisServer {
    static final String WSDD =
        "<deployment xmlns=\"http://xml.apache.org/axis/wsdd/\" xmlns:java=\"http://xml.apache.org/axis/wsdd/providers/java\">"
        + "<globalConfiguration><parameter name=\"disablePrettyXML\" value=\"true\"/></globalConfiguration>"
        + "<handler type=\"java:org.apache.axis.handlers.http.URLMapper\" name=\"URLMapper\"/>"
        + "<service name=\"Attachments\" provider=\"java:MSG\">"
        + "<parameter name=\"className\" value=\"xopstream.interop.axis.AttachmentService\"/>"
        + "<parameter name=\"allowedMethods\" value=\"upload echo\"/>"
        + "</service>"
        + "<transport name=\"http\"><requestFlow><handler type=\"URLMapper\"/></requestFlow></transport>"
        + "</deployment>";

    public static void main(String[] args) throws Exception {
        SimpleAxisServer server = new SimpleAxisServer();
        server.setMyConfig(new XMLStringProvider(WSDD));
        server.setServerSocket(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        server.start(true);
        System.out.println("LISTENING " + server.getServerSocket().getLocalPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        while (in.readLine() != null) {
            // wait for stdin to close
        }
        server.stop();
        System.exit(0);
    }
}
