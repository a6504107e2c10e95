package xopstream.interop.jaxws;

import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlRootElement;
import javax.xml.bind.annotation.XmlType;

/** The upload wrapper element, written by hand as wsgen would: Debian's jaxws-rt lacks the repackaged ASM that generates it at run time. */
@XmlRootElement(name = "upload", namespace = "urn:xopstream:interop")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "upload", namespace = "urn:xopstream:interop", propOrder = {"name","data"})
public final class Upload {
    @XmlElement(name = "name", namespace = "")
    public String name;
    @XmlElement(name = "data", namespace = "")
    public byte[] data;
}
