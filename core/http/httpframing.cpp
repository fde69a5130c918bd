#include "httpframing.h"

#include <QList>

#include <cstring>

namespace cd::http {

namespace {
constexpr qsizetype kMaxMethodBytes = 16;
constexpr qsizetype kMaxChunkLineBytes = 1024;
constexpr int kMaxContentLengthDigits = 18; // below 2^63: no overflow when parsed

bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s)
        if (!isTchar(c))
            return false;
    return true;
}

// field-value bytes: visible ASCII, SP, HTAB and obs-text; no other control character.
bool isFieldValue(QByteArrayView v)
{
    for (char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 && c != '\t')
            return false;
        if (c == 0x7f)
            return false;
    }
    return true;
}

QByteArrayView trimOws(QByteArrayView v)
{
    qsizetype b = 0, e = v.size();
    while (b < e && (v.at(b) == ' ' || v.at(b) == '\t'))
        ++b;
    while (e > b && (v.at(e - 1) == ' ' || v.at(e - 1) == '\t'))
        --e;
    return v.sliced(b, e - b);
}

// ASCII case-insensitive comparison with a lower-case literal.
bool equalsLower(QByteArrayView s, QByteArrayView lower)
{
    if (s.size() != lower.size())
        return false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        char c = s.at(i);
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != lower.at(i))
            return false;
    }
    return true;
}

// reg-name, IPv4, [IPv6] and an optional port; nothing that could read as a path or user info.
bool isHostValue(QByteArrayView v)
{
    for (char c : v) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '-' || c == ':' || c == '[' || c == ']' || c == '_' || c == '~' || c == '%';
        if (!ok)
            return false;
    }
    return true;
}

bool isKnownMethod(QByteArrayView m)
{
    return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH" || m == "OPTIONS";
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// chunk-ext without whitespace: *( ";" token [ "=" ( token / quoted-string ) ] )
bool isChunkExt(QByteArrayView ext)
{
    qsizetype i = 0;
    const qsizetype n = ext.size();
    while (i < n) {
        if (ext.at(i) != ';')
            return false;
        ++i;
        const qsizetype nameStart = i;
        while (i < n && isTchar(ext.at(i)))
            ++i;
        if (i == nameStart)
            return false;
        if (i < n && ext.at(i) == '=') {
            ++i;
            if (i < n && ext.at(i) == '"') {
                ++i;
                while (i < n && ext.at(i) != '"') {
                    if (ext.at(i) == '\\')
                        ++i;
                    ++i;
                }
                if (i >= n)
                    return false;
                ++i;
            } else {
                const qsizetype valueStart = i;
                while (i < n && isTchar(ext.at(i)))
                    ++i;
                if (i == valueStart)
                    return false;
            }
        }
    }
    return true;
}
} // namespace

RequestFramer::RequestFramer(FramingLimits limits) : m_limits(limits) {}

bool RequestFramer::inBody() const
{
    switch (m_phase) {
    case Phase::Body:
    case Phase::ChunkSize:
    case Phase::ChunkData:
    case Phase::ChunkEnd:
    case Phase::Trailer: return true;
    default: return false;
    }
}

QByteArray statusPhrase(int status)
{
    switch (status) {
    case 100: return QByteArrayLiteral("Continue");
    case 200: return QByteArrayLiteral("OK");
    case 201: return QByteArrayLiteral("Created");
    case 202: return QByteArrayLiteral("Accepted");
    case 204: return QByteArrayLiteral("No Content");
    case 206: return QByteArrayLiteral("Partial Content");
    case 304: return QByteArrayLiteral("Not Modified");
    case 400: return QByteArrayLiteral("Bad Request");
    case 401: return QByteArrayLiteral("Unauthorized");
    case 403: return QByteArrayLiteral("Forbidden");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 408: return QByteArrayLiteral("Request Timeout");
    case 409: return QByteArrayLiteral("Conflict");
    case 411: return QByteArrayLiteral("Length Required");
    case 413: return QByteArrayLiteral("Content Too Large");
    case 414: return QByteArrayLiteral("URI Too Long");
    case 415: return QByteArrayLiteral("Unsupported Media Type");
    case 416: return QByteArrayLiteral("Range Not Satisfiable");
    case 422: return QByteArrayLiteral("Unprocessable Content");
    case 429: return QByteArrayLiteral("Too Many Requests");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 501: return QByteArrayLiteral("Not Implemented");
    case 502: return QByteArrayLiteral("Bad Gateway");
    case 503: return QByteArrayLiteral("Service Unavailable");
    case 504: return QByteArrayLiteral("Gateway Timeout");
    case 505: return QByteArrayLiteral("HTTP Version Not Supported");
    default: return QByteArrayLiteral("Error");
    }
}

bool RequestFramer::closeAfter() const
{
    return m_connClose || (m_minor == 0 && !m_connKeepAlive);
}

bool RequestFramer::refuse(int status, const char *reason, const char *detail)
{
    m_phase = Phase::Refused;
    m_refusal = Refusal{status, QByteArray(reason), QByteArray(detail)};
    return false;
}

void RequestFramer::next()
{
    if (m_phase != Phase::Complete)
        return;
    const FramingLimits limits = m_limits;
    *this = RequestFramer(limits);
}

qsizetype RequestFramer::feed(const char *data, qsizetype size)
{
    qsizetype i = 0;
    while (i < size) {
        switch (m_phase) {
        case Phase::Complete:
        case Phase::Refused: return i;
        case Phase::Body:
        case Phase::ChunkData: {
            const qint64 take = qMin<qint64>(m_remaining, size - i);
            if (m_phase == Phase::ChunkData)
                m_chunkedBody.append(data + i, take);
            i += take;
            m_consumed += take;
            m_remaining -= take;
            if (m_remaining == 0)
                m_phase = m_phase == Phase::Body ? Phase::Complete : Phase::ChunkEnd;
            break;
        }
        default: {
            // The method (byte by byte, see consumeHeadByte) and line ends go one byte at a time;
            // the rest of a line in one run up to its CR, checked against the same limits.
            const bool bytewise = m_phase == Phase::Idle || m_sawCR || (!m_sawRequestLine && m_method.isNull());
            qsizetype run = 0;
            if (!bytewise) {
                const char *const p = data + i;
                const char *stop = p + (size - i);
                if (const void *cr = std::memchr(p, '\r', static_cast<size_t>(stop - p)))
                    stop = static_cast<const char *>(cr);
                if (const void *lf = std::memchr(p, '\n', static_cast<size_t>(stop - p)))
                    stop = static_cast<const char *>(lf);
                if (const void *nul = std::memchr(p, '\0', static_cast<size_t>(stop - p)))
                    stop = static_cast<const char *>(nul);
                run = stop - p;
            }
            if (run > 0) {
                const qsizetype took = consumeLineRun(data + i, run);
                i += took;
                m_consumed += took;
                if (m_phase == Phase::Refused)
                    return i;
                break;
            }
            ++m_consumed;
            if (!consumeHeadByte(data[i++]))
                return i;
            break;
        }
        }
    }
    return i;
}

qsizetype RequestFramer::consumeLineRun(const char *data, qsizetype size)
{
    // Past a limit, the first byte beyond it is the one that refuses, as it would byte by byte.
    switch (m_phase) {
    case Phase::Head: {
        const qsizetype headRoom = qMax<qsizetype>(0, m_limits.maxHeaderBytes - m_headBytes);
        const qsizetype lineLimit = m_sawRequestLine ? m_limits.maxHeaderLineBytes : m_limits.maxRequestLineBytes;
        const qsizetype lineRoom = qMax<qsizetype>(0, lineLimit - m_line.size());
        if (size > headRoom && headRoom <= lineRoom) {
            refuse(431, "request_header_fields_too_large", "the request headers exceed the limit");
            return headRoom + 1;
        }
        if (size > lineRoom) {
            if (m_sawRequestLine)
                refuse(431, "request_header_fields_too_large", "a header field exceeds the limit");
            else
                refuse(414, "uri_too_long", "the request line exceeds the limit");
            return lineRoom + 1;
        }
        m_headBytes += size;
        break;
    }
    case Phase::ChunkSize: {
        const qsizetype room = qMax<qsizetype>(0, kMaxChunkLineBytes - m_line.size());
        if (size > room) {
            refuse(400, "invalid_argument", "a chunk-size line is too long");
            return room + 1;
        }
        break;
    }
    case Phase::ChunkEnd: refuse(400, "invalid_argument", "chunk data is longer than its chunk size"); return 1;
    case Phase::Trailer: refuse(400, "invalid_argument", "trailer fields are not accepted"); return 1;
    default: break;
    }
    m_line.append(data, size);
    return size;
}

// One byte of a line-oriented part (head, chunk-size line, chunk end, trailer). Lines end in CRLF
// only: a bare LF or CR would be read differently by different parsers.
bool RequestFramer::consumeHeadByte(char c)
{
    if (m_phase == Phase::Idle)
        m_phase = Phase::Head;
    if (m_phase == Phase::Head && !m_sawRequestLine && m_method.isNull()) {
        // The method is checked byte by byte so that non-HTTP bytes (a TLS ClientHello on the plain
        // port) are refused at once rather than after the header deadline.
        if (c == ' ') {
            if (m_line.isEmpty())
                return refuse(400, "invalid_argument", "the request line does not start with a method");
            m_method = m_line;
        } else if (c < 'A' || c > 'Z') {
            return refuse(400, "invalid_argument", "not an HTTP request");
        } else if (m_line.size() >= kMaxMethodBytes) {
            return refuse(501, "not_implemented", "unknown method");
        }
    }
    if (m_sawCR) {
        if (c != '\n')
            return refuse(400, "invalid_argument", "a bare CR in the request");
        m_sawCR = false;
        return finishLine();
    }
    if (c == '\r') {
        m_sawCR = true;
        return true;
    }
    if (c == '\n')
        return refuse(400, "invalid_argument", "a bare LF in the request (lines end in CRLF)");
    if (c == '\0')
        return refuse(400, "invalid_argument", "a NUL byte in the request head");
    switch (m_phase) {
    case Phase::Head:
        if (++m_headBytes > m_limits.maxHeaderBytes)
            return refuse(431, "request_header_fields_too_large", "the request headers exceed the limit");
        if (!m_sawRequestLine && m_line.size() >= m_limits.maxRequestLineBytes)
            return refuse(414, "uri_too_long", "the request line exceeds the limit");
        if (m_sawRequestLine && m_line.size() >= m_limits.maxHeaderLineBytes)
            return refuse(431, "request_header_fields_too_large", "a header field exceeds the limit");
        break;
    case Phase::ChunkSize:
        if (m_line.size() >= kMaxChunkLineBytes)
            return refuse(400, "invalid_argument", "a chunk-size line is too long");
        break;
    case Phase::ChunkEnd: return refuse(400, "invalid_argument", "chunk data is longer than its chunk size");
    case Phase::Trailer: return refuse(400, "invalid_argument", "trailer fields are not accepted");
    default: break;
    }
    m_line.append(c);
    return true;
}

bool RequestFramer::finishLine()
{
    // The line is read in place; its buffer is kept for the next line.
    const QByteArrayView line(m_line);
    bool ok = false;
    switch (m_phase) {
    case Phase::Head:
        m_headBytes += 2;
        if (!m_sawRequestLine) {
            ok = requestLine(line);
        } else if (m_headBytes > m_limits.maxHeaderBytes) {
            ok = refuse(431, "request_header_fields_too_large", "the request headers exceed the limit");
        } else {
            ok = line.isEmpty() ? headComplete() : fieldLine(line);
        }
        break;
    case Phase::ChunkSize: ok = chunkSizeLine(line); break;
    case Phase::ChunkEnd:
        m_phase = Phase::ChunkSize;
        ok = true;
        break;
    case Phase::Trailer:
        m_phase = Phase::Complete;
        ok = true;
        break;
    default: ok = refuse(400, "invalid_argument", "unexpected line"); break;
    }
    m_line.resize(0);
    return ok;
}

// request-line = method SP request-target SP HTTP-version, single spaces, nothing else.
bool RequestFramer::requestLine(QByteArrayView line)
{
    m_sawRequestLine = true;
    const qsizetype s1 = line.indexOf(' ');
    const qsizetype s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
    if (s1 < 0 || s2 < 0 || line.indexOf(' ', s2 + 1) >= 0)
        return refuse(400, "invalid_argument", "the request line is not `METHOD target HTTP/1.x`");
    const QByteArrayView method = line.first(s1);
    const QByteArrayView target = line.sliced(s1 + 1, s2 - s1 - 1);
    const QByteArrayView version = line.sliced(s2 + 1);
    m_method = method.toByteArray();
    if (!isToken(method))
        return refuse(400, "invalid_argument", "the method is not a token");
    if (version.size() == 8 && version.startsWith("HTTP/") && version.at(6) == '.' && version.at(5) >= '0' &&
        version.at(5) <= '9' && version.at(7) >= '0' && version.at(7) <= '9') {
        if (version == "HTTP/1.1")
            m_minor = 1;
        else if (version == "HTTP/1.0")
            m_minor = 0;
        else
            return refuse(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
    } else {
        return refuse(400, "invalid_argument", "the HTTP version is malformed");
    }
    if (!isKnownMethod(method))
        return refuse(501, "not_implemented", "unknown method");
    m_target = target.toByteArray();
    if (target == "*") {
        if (method != "OPTIONS")
            return refuse(400, "invalid_argument", "the asterisk target is for OPTIONS only");
        return true;
    }
    if (!target.startsWith('/'))
        return refuse(400, "invalid_argument", "the request target must be a path (origin-form)");
    if (const qsizetype q = target.indexOf('?'); q >= 0) {
        QByteArrayView rest = target.sliced(q + 1);
        for (;;) {
            const qsizetype amp = rest.indexOf('&');
            const QByteArrayView pair = amp < 0 ? rest : rest.first(amp);
            const qsizetype eq = pair.indexOf('=');
            const QByteArrayView key = eq < 0 ? pair : pair.first(eq);
            if (key == "token" || key == "access_token")
                m_credentials = true;
            if (amp < 0)
                break;
            rest = rest.sliced(amp + 1);
        }
    }
    if (target.startsWith("//"))
        return refuse(400, "invalid_argument", "the request target must not start with //");
    for (char ch : target) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f || c == '#')
            return refuse(400, "invalid_argument", "the request target has a byte that must be percent-encoded");
    }
    return true;
}

bool RequestFramer::fieldLine(QByteArrayView line)
{
    if (line.at(0) == ' ' || line.at(0) == '\t')
        return refuse(400, "invalid_argument", "folded header lines (obs-fold) are not accepted");
    if (++m_fields > m_limits.maxHeaders)
        return refuse(431, "request_header_fields_too_large", "more header fields than the limit");
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return refuse(400, "invalid_argument", "a header line without a name and colon");
    const QByteArrayView name = line.first(colon);
    if (!isToken(name))
        return refuse(400, "invalid_argument", "a header name is not a token (whitespace before the colon?)");
    const QByteArrayView value = trimOws(line.sliced(colon + 1));
    if (!isFieldValue(value))
        return refuse(400, "invalid_argument", "a header value has a control character");
    if (equalsLower(name, "host")) {
        if (++m_hosts > 1)
            return refuse(400, "invalid_argument", "more than one Host header");
        if (!isHostValue(value))
            return refuse(400, "invalid_argument", "the Host header is malformed");
    } else if (equalsLower(name, "content-length")) {
        if (++m_contentLengths > 1)
            return refuse(400, "invalid_argument", "more than one Content-Length header");
        if (value.isEmpty())
            return refuse(400, "invalid_argument", "Content-Length is empty");
        for (char c : value)
            if (c < '0' || c > '9')
                return refuse(400, "invalid_argument", "Content-Length is not a decimal number");
        if (value.size() > kMaxContentLengthDigits)
            return refuse(400, "invalid_argument", "Content-Length overflows");
        qint64 length = 0;
        for (char c : value)
            length = length * 10 + (c - '0');
        m_contentLength = length;
    } else if (equalsLower(name, "transfer-encoding")) {
        if (++m_transferEncodings > 1)
            return refuse(400, "invalid_argument", "more than one Transfer-Encoding header");
        m_chunked = equalsLower(value, "chunked");
    } else if (equalsLower(name, "connection")) {
        QByteArrayView rest = value;
        for (;;) {
            const qsizetype comma = rest.indexOf(',');
            const QByteArrayView o = trimOws(comma < 0 ? rest : rest.first(comma));
            if (equalsLower(o, "close"))
                m_connClose = true;
            else if (equalsLower(o, "keep-alive"))
                m_connKeepAlive = true;
            if (comma < 0)
                break;
            rest = rest.sliced(comma + 1);
        }
    } else if (equalsLower(name, "expect")) {
        m_expectContinue = equalsLower(value, "100-continue");
    } else if (equalsLower(name, "authorization") || equalsLower(name, "x-api-key") ||
               equalsLower(name, "x-callback-token")) {
        m_credentials = true;
    }
    m_fieldList.append({name.toByteArray(), value.toByteArray()});
    return true;
}

bool RequestFramer::headComplete()
{
    m_headLength = m_consumed;
    if (m_transferEncodings > 0 && m_contentLengths > 0)
        return refuse(400, "invalid_argument", "both Transfer-Encoding and Content-Length");
    if (m_transferEncodings > 0 && m_minor == 0)
        return refuse(400, "invalid_argument", "Transfer-Encoding in an HTTP/1.0 request");
    if (m_transferEncodings > 0 && !m_chunked)
        return refuse(501, "not_implemented", "only Transfer-Encoding: chunked is supported");
    if (m_minor == 1 && m_hosts != 1)
        return refuse(400, "invalid_argument", "an HTTP/1.1 request needs exactly one Host header");
    if (m_contentLength > m_limits.maxBodyBytes)
        return refuse(413, "payload_too_large", "the request body exceeds the limit");
    if (m_chunked) {
        m_phase = Phase::ChunkSize;
    } else if (m_contentLength > 0) {
        m_phase = Phase::Body;
        m_remaining = m_contentLength;
    } else {
        m_phase = Phase::Complete;
    }
    return true;
}

// chunk-size [chunk-ext]; the whole chunked body on the wire (sizes and extensions included)
// counts against the body limit, so tiny chunks cannot stretch it.
bool RequestFramer::chunkSizeLine(QByteArrayView line)
{
    qsizetype i = 0;
    qint64 size = 0;
    while (i < line.size() && hexValue(line.at(i)) >= 0) {
        if (i >= 15)
            return refuse(400, "invalid_argument", "the chunk size overflows");
        size = size * 16 + hexValue(line.at(i));
        ++i;
    }
    if (i == 0)
        return refuse(400, "invalid_argument", "a chunk size is not hexadecimal");
    if (!isChunkExt(line.sliced(i)))
        return refuse(400, "invalid_argument", "a malformed chunk extension");
    m_bodyBytes += line.size() + 2 + size + (size > 0 ? 2 : 0);
    if (m_bodyBytes > m_limits.maxBodyBytes)
        return refuse(413, "payload_too_large", "the request body exceeds the limit");
    if (size == 0) {
        m_phase = Phase::Trailer;
    } else {
        m_phase = Phase::ChunkData;
        m_remaining = size;
    }
    return true;
}

} // namespace cd::http
