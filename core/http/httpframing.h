#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QtGlobal>

#include <utility>

namespace cd::http {

struct FramingLimits
{
    qsizetype maxRequestLineBytes = 8 * 1024; // longer → 414
    qsizetype maxHeaderLineBytes = 8 * 1024;  // one field line; longer → 431
    qsizetype maxHeaderBytes = 64 * 1024;     // the whole header section; more → 431
    int maxHeaders = 100;                     // more → 431
    qint64 maxBodyBytes = 8 * 1024 * 1024;    // decoded body; more → 413
};

// Why a connection was refused: the status and a short machine-readable reason.
struct Refusal
{
    int status = 0;
    QByteArray reason; // the `error` name, as in the API's error table (e.g. "invalid_argument")
    QByteArray detail; // one sentence for the client
};

// The standard reason phrase (RFC 9110) of every status the service answers.
QByteArray statusPhrase(int status);

// An incremental, socket-free HTTP/1.x request framer and parser (RFC 9112). Bytes go in as they
// arrive, in any split; it says where each request ends or why the stream is refused, and keeps what
// a handler needs of the request (method, target, fields, where the body starts, a chunked body
// decoded). It accepts only what has one reading: anything ambiguous is refused, never guessed.
class RequestFramer final
{
public:
    enum class Phase {
        Idle,      // between requests: no byte of the next one yet
        Head,      // request line and header fields
        Body,      // Content-Length body
        ChunkSize, // chunk-size [chunk-ext] CRLF
        ChunkData, // chunk bytes
        ChunkEnd,  // the CRLF after chunk data
        Trailer,   // after the last chunk: only an empty line is accepted
        Complete,  // one whole request framed; call next()
        Refused,   // terminal
    };

    explicit RequestFramer(FramingLimits limits = {});

    // Consumes bytes from `data` and returns how many it took. Stops right after a complete request
    // (phase() == Complete) or at the byte that made it refuse (phase() == Refused).
    qsizetype feed(const char *data, qsizetype size);
    qsizetype feed(const QByteArray &data) { return feed(data.constData(), data.size()); }
    // After Complete: get ready for the next request on the same connection.
    void next();

    Phase phase() const { return m_phase; }
    bool complete() const { return m_phase == Phase::Complete; }
    bool refused() const { return m_phase == Phase::Refused; }
    bool inHead() const { return m_phase == Phase::Head; }
    bool inBody() const;
    const Refusal &refusal() const { return m_refusal; }

    // Facts about the request being framed (valid once its head is complete).
    QByteArray method() const { return m_method; }
    const QByteArray &target() const { return m_target; }
    // Field lines in order, names as sent, values without surrounding whitespace.
    const QList<QPair<QByteArray, QByteArray>> &fields() const { return m_fieldList; }
    // Bytes from the request's first byte to the end of its head (its Content-Length body follows).
    qsizetype headLength() const { return m_headLength; }
    bool chunked() const { return m_chunked; }
    // A chunked request's body as decoded so far (its chunk data, nothing else); take it when the
    // request is complete.
    QByteArray takeChunkedBody() { return std::exchange(m_chunkedBody, {}); }
    bool http10() const { return m_minor == 0; }
    // The connection must close after this request's answer (HTTP/1.0 without keep-alive, or
    // `Connection: close`).
    bool closeAfter() const;
    bool expectsContinue() const { return m_expectContinue; }
    // The head carries something that may be a credential (an Authorization, X-API-Key or
    // X-Callback-Token header, or a `token` / `access_token` query parameter). Not checked here.
    bool hasCredentials() const { return m_credentials; }

private:
    bool consumeHeadByte(char c);
    // A run of bytes of a line with no CR, LF or NUL in it; returns how many it took (all, or up to
    // and including the one that made it refuse).
    qsizetype consumeLineRun(const char *data, qsizetype size);
    bool finishLine();
    bool requestLine(QByteArrayView line);
    bool fieldLine(QByteArrayView line);
    bool headComplete();
    bool chunkSizeLine(QByteArrayView line);
    bool refuse(int status, const char *reason, const char *detail);

    FramingLimits m_limits;
    Phase m_phase = Phase::Idle;
    Refusal m_refusal;
    QByteArray m_line; // the line being read (head, chunk size, trailer)
    bool m_sawCR = false;
    bool m_sawRequestLine = false;
    qsizetype m_headBytes = 0;
    int m_fields = 0;
    QByteArray m_method;
    QByteArray m_target;
    QList<QPair<QByteArray, QByteArray>> m_fieldList;
    QByteArray m_chunkedBody;
    qsizetype m_consumed = 0;   // bytes of this request so far
    qsizetype m_headLength = 0; // set when the head is complete
    int m_minor = 1;
    int m_hosts = 0;
    int m_contentLengths = 0;
    qint64 m_contentLength = -1;
    int m_transferEncodings = 0;
    bool m_chunked = false;
    bool m_connClose = false;
    bool m_connKeepAlive = false;
    bool m_expectContinue = false;
    bool m_credentials = false;
    qint64 m_remaining = 0; // body or chunk bytes still to come
    qint64 m_bodyBytes = 0; // decoded body so far (chunked)
};

} // namespace cd::http
