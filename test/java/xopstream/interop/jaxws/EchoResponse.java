package xopstream.interop.jaxws;

import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlRootElement;
import javax.xml.bind.annotation.XmlType;

/** The echoResponse wrapper element, written by hand as wsgen would: Debian's jaxws-rt lacks the repackaged ASM that generates it at run time. */
@XmlRootElement(name = "echoResponse", namespace = "urn:xopstream:interop")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "echoResponse", namespace = "urn:xopstream:interop", propOrder = {"data"})
public final class EchoResponse {
    @XmlElement(name = "data", namespace = "")
    public byte[] data;
}
