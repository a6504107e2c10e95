// The gSOAP side of test/interop-gsoap.test.ts: one program, built at test
// time from the stubs soapcpp2 generates for files.h, linked with Debian's
// libgsoap++. What it prints is what the test asserts on.
//
//   xopgsoap mtom URL VERSION FILE NAME TYPE [chunked] [keepalive]
//     gSOAP MTOM client (SOAP_ENC_MTOM): calls upload with FILE as an
//     _xop__Include attachment of media type TYPE; prints RESULT <digest>.
//     chunked: gSOAP streams the request (SOAP_IO_CHUNK) instead of
//     counting its length first. keepalive: two calls on one context with
//     SOAP_IO_KEEPALIVE (one connection if the server keeps it open).
//   xopgsoap swa URL VERSION NAME [FILE TYPE ID LOCATION]...
//     gSOAP SwA client (soap_set_mime + soap_set_mime_attachment): calls swa
//     with one MIME attachment per FILE ("-" for ID or LOCATION: none); prints
//     RESULT <report>.
//   xopgsoap server
//     gSOAP server on 127.0.0.1, a free port: prints LISTENING <port>, then
//     serves requests one after the other until stdin closes or it is killed.
//
// A client that gets a SOAP fault (or any error) prints, and exits 3:
//   ERROR <soap->error> HTTP <status>
//   FAULTCODE <faultcode>
//   FAULTSTRING <faultstring>
//   FAULTDETAIL <detail, on one line>
// VERSION is 1.1 or 1.2 (a namespace table with the SOAP 1.2 envelope URI first).

#include "soapH.h"
#include "files.nsmap"
#include "sha256.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

static unsigned char *read_file(struct soap *soap, const char *path, int *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = (unsigned char *)soap_malloc(soap, n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(2); }
  fclose(f);
  *size = (int)n;
  return data;
}

/** SOAP 1.1 is the generated namespace table; SOAP 1.2 is the same table with the 1.2 envelope and encoding URIs first. */
static void set_version(struct soap *soap, const char *version) {
  if (strcmp(version, "1.1") == 0) return;
  if (strcmp(version, "1.2") != 0) { fprintf(stderr, "VERSION must be 1.1 or 1.2, not %s\n", version); exit(2); }
  static struct Namespace soap12[sizeof namespaces / sizeof namespaces[0]];
  memcpy(soap12, namespaces, sizeof namespaces);
  soap12[0].ns = "http://www.w3.org/2003/05/soap-envelope";
  soap12[1].ns = "http://www.w3.org/2003/05/soap-encoding";
  soap_set_namespaces(soap, soap12);
}

/** Prints what gSOAP made of a failed call. */
static int failed(struct soap *soap) {
  const char **code = soap_faultcode(soap);
  const char **string = soap_faultstring(soap);
  printf("ERROR %d HTTP %d\n", soap->error, soap->status);
  printf("FAULTCODE %s\n", code != NULL && *code != NULL ? *code : "");
  printf("FAULTSTRING %s\n", string != NULL && *string != NULL ? *string : "");
  std::string detail = soap_fault_detail(soap) != NULL ? soap_fault_detail(soap) : "";
  for (char &c : detail) if (c == '\r' || c == '\n') c = ' ';
  printf("FAULTDETAIL %s\n", detail.c_str());
  soap_print_fault(soap, stderr);
  return 3;
}

static int mtom_client(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: xopgsoap mtom URL VERSION FILE NAME TYPE [chunked] [keepalive]\n");
    return 2;
  }
  int mode = SOAP_ENC_MTOM, calls = 1;
  for (int i = 7; i < argc; i++) {
    if (strcmp(argv[i], "chunked") == 0) mode |= SOAP_IO_CHUNK;
    else if (strcmp(argv[i], "keepalive") == 0) { mode |= SOAP_IO_KEEPALIVE; calls = 2; }
    else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  struct soap *soap = soap_new1(mode);
  set_version(soap, argv[3]);
  struct ns__Data data;
  data.xop__Include.__ptr = read_file(soap, argv[4], &data.xop__Include.__size);
  data.xop__Include.id = NULL; // gSOAP makes the Content-ID
  data.xop__Include.type = argv[6];
  data.xop__Include.options = NULL;
  data.xmime5__contentType = argv[6];
  int status = 0;
  for (int call = 0; call < calls; call++) { // the second call also after a failed first one
    char *digest = NULL;
    if (soap_call_ns__upload(soap, argv[2], NULL, argv[5], &data, &digest) == SOAP_OK) printf("RESULT %s\n", digest != NULL ? digest : "(null)");
    else status = failed(soap);
  }
  soap_destroy(soap);
  soap_end(soap);
  soap_free(soap);
  return status;
}

static int swa_client(int argc, char **argv) {
  if (argc < 5 || (argc - 5) % 4 != 0) { fprintf(stderr, "usage: xopgsoap swa URL VERSION NAME [FILE TYPE ID LOCATION]...\n"); return 2; }
  struct soap *soap = soap_new();
  set_version(soap, argv[3]);
  soap_set_mime(soap, NULL, NULL); // gSOAP's boundary; the root part's Content-ID is gSOAP's default
  for (int i = 5; i < argc; i += 4) {
    int size = 0;
    unsigned char *bytes = read_file(soap, argv[i], &size);
    const char *id = strcmp(argv[i + 2], "-") == 0 ? NULL : argv[i + 2];
    const char *location = strcmp(argv[i + 3], "-") == 0 ? NULL : argv[i + 3];
    if (soap_set_mime_attachment(soap, (const char *)bytes, (size_t)size, SOAP_MIME_BINARY, argv[i + 1], id, location, NULL) != SOAP_OK)
      return failed(soap);
  }
  char *report = NULL;
  int status = 0;
  if (soap_call_ns__swa(soap, argv[2], NULL, argv[4], &report) == SOAP_OK) printf("RESULT %s\n", report != NULL ? report : "(null)");
  else status = failed(soap);
  soap_destroy(soap);
  soap_end(soap);
  soap_free(soap);
  return status;
}

static int server(void) {
  struct soap *soap = soap_new();
  soap->bind_flags = SO_REUSEADDR;
  if (!soap_valid_socket(soap_bind(soap, "127.0.0.1", 0, 16))) { soap_print_fault(soap, stderr); return 1; }
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  if (getsockname(soap->master, (struct sockaddr *)&address, &length) != 0) { perror("getsockname"); return 1; }
  int port = address.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&address)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&address)->sin_port);
  printf("LISTENING %d\n", port);
  fflush(stdout);
  soap->accept_timeout = 1; // seconds: come back to look at stdin
  soap->recv_timeout = 30;
  soap->send_timeout = 30;
  for (;;) {
    struct pollfd in = { 0, POLLIN, 0 };
    if (poll(&in, 1, 0) > 0) { // stdin closed (or written to): stop
      char c;
      if (read(0, &c, 1) <= 0) break;
    }
    SOAP_SOCKET s = soap_accept(soap);
    if (!soap_valid_socket(s)) {
      if (soap->errnum == 0) continue; // accept timed out
      soap_print_fault(soap, stderr);
      break;
    }
    if (soap_serve(soap) != SOAP_OK) soap_print_fault(soap, stderr);
    soap_destroy(soap);
    soap_end(soap);
    // soap_set_omode stays on the context: echo's MTOM must not frame the next answers.
    soap_clr_omode(soap, SOAP_ENC_MTOM);
  }
  soap_free(soap);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  // As gSOAP's documentation asks of applications: a peer that closes the
  // connection while gSOAP still writes must give an error, not kill us.
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && strcmp(argv[1], "mtom") == 0) return mtom_client(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "swa") == 0) return swa_client(argc, argv);
  if (argc == 2 && strcmp(argv[1], "server") == 0) return server();
  fprintf(stderr, "usage: xopgsoap mtom|swa|server ...\n");
  return 2;
}

// --- the service operations (server side) ----------------------------------------------------

static std::string describe(const unsigned char *ptr, size_t size) {
  char hex[65];
  sha256_hex(ptr != NULL ? ptr : (const unsigned char *)"", ptr != NULL ? size : 0, hex);
  return std::to_string(ptr != NULL ? size : 0) + " " + hex;
}

static char *copy(struct soap *soap, const std::string &s) { return soap_strdup(soap, s.c_str()); }

int ns__upload(struct soap *soap, char *name, struct ns__Data *data, char **digest) {
  if (data == NULL) return soap_sender_fault(soap, "no data element", NULL);
  const _xop__Include &file = data->xop__Include;
  std::string out = std::string(name != NULL ? name : "") + " " + describe(file.__ptr, (size_t)(file.__size > 0 ? file.__size : 0)) +
    " type=" + (file.type != NULL ? file.type : "") + " id=" + (file.id != NULL ? file.id : "") +
    " contentType=" + (data->xmime5__contentType != NULL ? data->xmime5__contentType : "");
  *digest = copy(soap, out);
  return SOAP_OK;
}

int ns__echo(struct soap *soap, struct ns__Data *data, struct ns__echoResponse *response) {
  if (data == NULL) return soap_sender_fault(soap, "no data element", NULL);
  soap_set_omode(soap, SOAP_ENC_MTOM);
  response->data = data;
  return SOAP_OK;
}

int ns__swa(struct soap *soap, char *name, char **report) {
  std::string out = std::string(name != NULL ? name : "");
  int n = 0;
  for (struct soap_multipart *part = soap->mime.list; part != NULL; part = part->next) {
    n++;
    out += std::string(" | id=") + (part->id != NULL ? part->id : "") + " type=" + (part->type != NULL ? part->type : "") +
      " location=" + (part->location != NULL ? part->location : "") + " " + describe((const unsigned char *)part->ptr, part->size);
  }
  *report = copy(soap, out + " | parts=" + std::to_string(n));
  if (name != NULL && strcmp(name, "echo") == 0) {
    // Answers SwA: every received attachment back (the root part, size 0, left out).
    struct soap_multipart *received = soap->mime.list;
    soap_set_mime(soap, NULL, NULL);
    for (struct soap_multipart *part = received; part != NULL; part = part->next) {
      if (part->size == 0) continue;
      if (soap_set_mime_attachment(soap, part->ptr, part->size, SOAP_MIME_BINARY, part->type, part->id, part->location, NULL) != SOAP_OK)
        return soap->error;
    }
  }
  return SOAP_OK;
}
