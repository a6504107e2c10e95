package xopstream.interop;

import javax.jws.WebMethod;
import javax.jws.WebParam;
import javax.jws.WebResult;
import javax.jws.WebService;
import javax.xml.ws.RequestWrapper;
import javax.xml.ws.ResponseWrapper;

/**
 * The service both Metro programs share: Metro's client calls it on
 * xopstream's receiver (MetroClient), Metro's endpoint implements it for
 * xopstream's client (MetroServer). Document/literal wrapped, matching
 * files.wsdl; the wrapper beans are the hand-written classes in jaxws/
 * (Debian's jaxws-rt 2.3.0.2 lacks the repackaged ASM that Metro uses to
 * generate them at run time: NoClassDefFoundError
 * com/sun/xml/ws/org/objectweb/asm/Type).
 */
@WebService(name = "Files", targetNamespace = "urn:xopstream:interop")
public interface Files {
    /** Returns "size sha256" of the bytes received. */
    @WebMethod
    @WebResult(name = "digest")
    @RequestWrapper(localName = "upload", targetNamespace = "urn:xopstream:interop", className = "xopstream.interop.jaxws.Upload")
    @ResponseWrapper(localName = "uploadResponse", targetNamespace = "urn:xopstream:interop",
        className = "xopstream.interop.jaxws.UploadResponse")
    String upload(@WebParam(name = "name") String name, @WebParam(name = "data") byte[] data);

    /** Returns the bytes received (an MTOM response when the endpoint has MTOM on). */
    @WebMethod
    @WebResult(name = "data")
    @RequestWrapper(localName = "echo", targetNamespace = "urn:xopstream:interop", className = "xopstream.interop.jaxws.Echo")
    @ResponseWrapper(localName = "echoResponse", targetNamespace = "urn:xopstream:interop",
        className = "xopstream.interop.jaxws.EchoResponse")
    byte[] echo(@WebParam(name = "data") byte[] data);
}
