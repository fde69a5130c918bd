#include "framingcases.h"

namespace cdtest::framing {

namespace {

// A TLS 1.2 ClientHello's first bytes, as a client configured for https sends them.
const QByteArray kClientHello = QByteArray::fromHex("1603010200010001fc0303") + QByteArray(64, '\x5a');

template<qsizetype N> QByteArray bytes(const char (&s)[N])
{
    return QByteArray(s, N - 1); // keeps embedded NULs
}

} // namespace

QByteArray logRequest(const QString &jobId, const QByteArray &token, const QByteArray &message)
{
    const QByteArray body = "{\"job_id\":\"" + jobId.toUtf8() + "\",\"message\":\"" + message + "\"}";
    return "POST /api/crawler/log HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Callback-Token: " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" +
           body;
}

QByteArray chunked(const QByteArray &body)
{
    return QByteArray::number(body.size(), 16) + "\r\n" + body + "\r\n0\r\n\r\n";
}

QByteArray manyHeaders(int n)
{
    QByteArray h;
    for (int i = 0; i < n; ++i)
        h += "X-Filler-" + QByteArray::number(i) + ": v\r\n";
    return h;
}

std::vector<Hostile> hostileCases()
{
    const QByteArray big(kBodyCap + 1, 'x');
    return {
        // Content-Length: the smuggled request sits where a lenient parser would look for the next one.
        {"ContentLengthNotANumber", kPost + "Content-Length: abc\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthNegative", kPost + "Content-Length: -5\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthPlusSign", kPost + "Content-Length: +5\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthHex", kPost + "Content-Length: 0x10\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthInnerSpace", kPost + "Content-Length: 1 0\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthList", kPost + "Content-Length: 5, 5\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthEmpty", kPost + "Content-Length:\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthTwoDifferent", kPost + "Content-Length: 0\r\nContent-Length: 5\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthTwoIdentical", kPost + "Content-Length: 0\r\nContent-Length: 0\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthOverflow", kPost + "Content-Length: 18446744073709551617\r\n\r\n" + kSmuggle, 400},
        {"ContentLengthTooLarge", kPost + "Content-Length: " + QByteArray::number(kBodyCap + 1) + "\r\n\r\n", 413},
        // Transfer-Encoding
        {"ContentLengthThenChunked",
         kPost + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggle, 400},
        {"ChunkedThenContentLength",
         kPost + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + kSmuggle, 400},
        {"TransferEncodingGzip", kPost + "Transfer-Encoding: gzip\r\n\r\n" + kSmuggle, 501},
        {"TransferEncodingChunkedTwiceInOneField", kPost + "Transfer-Encoding: chunked, chunked\r\n\r\n" + kSmuggle,
         501},
        {"TransferEncodingTwoFields",
         kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggle, 400},
        {"TransferEncodingLookalike", kPost + "Transfer-Encoding: xchunked\r\n\r\n" + kSmuggle, 501},
        {"TransferEncodingInHttp10",
         "POST /api/crawler/log HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggle, 400},
        {"ChunkSizeNotHex", kPost + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + kSmuggle, 400},
        {"ChunkSizeNegative", kPost + "Transfer-Encoding: chunked\r\n\r\n-5\r\n" + kSmuggle, 400},
        {"ChunkSizeLeadingSpace", kPost + "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n" + kSmuggle, 400},
        {"ChunkSizeOverflow", kPost + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\n" + kSmuggle, 400},
        {"ChunkExtensionWithSpace", kPost + "Transfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n" + kSmuggle,
         400},
        {"ChunkDataLongerThanSize", kPost + "Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n" + kSmuggle,
         400},
        {"ChunkSizeBareLF", kPost + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" + kSmuggle, 400},
        {"ChunkedTrailerField", kPost + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n" + kSmuggle, 400},
        {"ChunkedBodyOverCap", kPost + "Transfer-Encoding: chunked\r\n\r\n" + chunked(big), 413},
        // Request line
        {"GarbageRequestLine", "HELLO\r\n\r\n" + kSmuggle, 400},
        {"LowercaseMethod", "get /health HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400, true},
        {"UnknownMethod", "BREW /health HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 501},
        {"HttpVersion2", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n" + kSmuggle, 505},
        {"HttpVersionLowercase", "GET /health http/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"RequestLineFourParts", "GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"RequestLineDoubleSpace", "GET  /health HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"AbsoluteFormTarget", "GET http://127.0.0.1/health HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"DoubleSlashTarget", "GET //evil/health HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"ControlByteInTarget", "GET /hea\x01lth HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"AsteriskTargetForGet", "GET * HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400},
        {"RequestLineTooLong", "GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
        {"LeadingEmptyLine", "\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggle, 400, true},
        {"NulInRequestLine", bytes("GET /he\0lth HTTP/1.1\r\nHost: x\r\n\r\n") + kSmuggle, 400},
        {"TlsClientHelloOnPlainPort", kClientHello, 400, true},
        // Header fields
        {"SpaceBeforeColon", kGet + "Content-Length : 5\r\n\r\n" + kSmuggle, 400},
        {"ObsFold", kGet + "X-A: 1\r\n  folded\r\n\r\n" + kSmuggle, 400},
        {"BareLFLineEndings", "GET /health HTTP/1.1\nHost: x\n\n" + kSmuggle, 400},
        {"BareCRInHeader", kGet + "X-A: 1\rX-B: 2\r\n\r\n" + kSmuggle, 400},
        {"NulInHeaderValue",
         kGet +
             bytes("X-A: 1\0"
                   "2\r\n\r\n") +
             kSmuggle,
         400},
        {"HeaderNameNotToken", kGet + "X(A): 1\r\n\r\n" + kSmuggle, 400},
        {"HeaderWithoutColon", kGet + "NoColonHere\r\n\r\n" + kSmuggle, 400},
        {"MissingHostInHttp11", "GET /health HTTP/1.1\r\n\r\n" + kSmuggle, 400},
        {"TwoHosts", kGet + "Host: y\r\n\r\n" + kSmuggle, 400},
        {"HostWithPath", "GET /health HTTP/1.1\r\nHost: a/b\r\n\r\n" + kSmuggle, 400},
        {"HeaderCount101", kGet + manyHeaders(100) + kAuth + "\r\n" + kSmuggle, 431},
        {"HeaderLineTooLong", kGet + "X-Big: " + QByteArray(9000, 'a') + "\r\n\r\n", 431},
        {"HeaderSectionTooLarge",
         kGet +
             [] {
                 QByteArray h;
                 for (int i = 0; i < 20; ++i)
                     h += "X-" + QByteArray::number(i) + ": " + QByteArray(1000, 'a') + "\r\n";
                 return h;
             }() +
             "\r\n",
         431},
        // Deadlines: the connection is not held by a client that stops sending.
        {"HeadNeverEnds", kGet + "X-A: 1\r\n", 408},
        {"BodyShorterThanContentLength", kPost + "Content-Length: 100\r\n\r\n{\"job_id\":", 408},
        {"ChunkedBodyStalls", kPost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhel", 408},
    };
}

} // namespace cdtest::framing
