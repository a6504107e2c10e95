#!/usr/bin/perl
# A SOAP::Lite client sending SwA: SOAP::Lite->parts([MIME::Entity, ...]) makes
# SOAP::Packager::MIME wrap the RPC/encoded envelope and the parts in a
# Multipart/Related body.
#   soaplite-client.pl URL NAME PHOTO ENCODING
# upload(name, photo href="cid:photo@soaplite.test") with two parts: PHOTO's
# bytes as image/jpeg (Content-ID <photo@soaplite.test>, Content-Transfer-
# Encoding ENCODING: binary or base64) and a text/plain note
# (<note@soaplite.test>) referenced from nowhere. Prints "RESULT string" (the
# xsd:string of the answer) or "FAULT faultcode faultstring".
use strict;
use warnings;
use SOAP::Lite;
use MIME::Entity;

my ($url, $name, $photo_file, $encoding) = @ARGV;
open(my $fh, '<:raw', $photo_file) or die "$photo_file: $!";
my $photo = do { local $/; <$fh> };
close($fh);

my $photo_part = MIME::Entity->build(Type => 'image/jpeg', Encoding => $encoding, Data => $photo,
    Id => '<photo@soaplite.test>', Disposition => 'attachment');
my $note_part = MIME::Entity->build(Type => 'text/plain', Encoding => '8bit', Data => "first\r\n--not-a-boundary\r\nlast\r\n",
    Id => '<note@soaplite.test>');

my $soap = SOAP::Lite->uri('urn:xopstream:interop')->proxy($url, timeout => 30);
my $som = $soap->parts([$photo_part, $note_part])->upload(
    SOAP::Data->name('name')->type('string')->value($name),
    SOAP::Data->name('photo')->attr({href => 'cid:photo@soaplite.test'}));
if (!defined $som) {
    print 'TRANSPORT ', $soap->transport->status, "\n";
} elsif ($som->fault) {
    print 'FAULT ', $som->faultcode, ' ', $som->faultstring, "\n";
} else {
    print 'RESULT ', $som->result, "\n";
}
