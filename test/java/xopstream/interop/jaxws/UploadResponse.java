package xopstream.interop.jaxws;

import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlRootElement;
import javax.xml.bind.annotation.XmlType;

/** The uploadResponse wrapper element, written by hand as wsgen would: Debian's jaxws-rt lacks the repackaged ASM that generates it at run time. */
@XmlRootElement(name = "uploadResponse", namespace = "urn:xopstream:interop")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "uploadResponse", namespace = "urn:xopstream:interop", propOrder = {"digest"})
public final class UploadResponse {
    @XmlElement(name = "digest", namespace = "")
    public String digest;
}
