// The gSOAP service the interop test (test/interop-gsoap.test.ts) compiles
// with soapcpp2: the same three operations as test/java/files.wsdl, in
// gSOAP's own header notation. `upload` carries the file as an MTOM
// attachment (gSOAP's _xop__Include with an xmime contentType attribute, as in
// gSOAP's MTOM samples); `echo` sends it back; `swa` takes SwA (MIME)
// attachments, which gSOAP keeps in soap->mime.list.

//gsoap ns service name:      files
//gsoap ns service style:     document
//gsoap ns service encoding:  literal
//gsoap ns service namespace: urn:xopstream:interop
//gsoap ns schema namespace:  urn:xopstream:interop

#import "xop.h"
#import "xmime5.h"

/// The file: an xop:Include element (the attachment) and its media type.
struct ns__Data
{
  _xop__Include xop__Include;
  @char *xmime5__contentType;
};

/// Stores the file; answers "<name> <size> <sha256> <type>" of what arrived.
int ns__upload(char *name, struct ns__Data *data, char **digest);

/// Answers with the same file, as an MTOM attachment.
int ns__echo(struct ns__Data *data, struct ns__echoResponse { struct ns__Data *data; } *response);

/// SwA: the attachments are the message's MIME parts; answers one line per
/// part, and with name "echo" sends them all back as SwA attachments.
int ns__swa(char *name, char **report);
