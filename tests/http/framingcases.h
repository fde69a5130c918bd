// The hostile request table shared by the framing tests over sockets and the framer's own tests:
// each case names the exact answer the server owes it.
#pragma once

#include "stack.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace cdtest::framing {

inline const QByteArray kAuth = "Authorization: Bearer " + Stack::kToken + "\r\n";
constexpr qint64 kBodyCap = 64 * 1024;
constexpr qint64 kHeaderCap = 16 * 1024;

inline const QByteArray kPost = "POST /api/crawler/log HTTP/1.1\r\nHost: 127.0.0.1\r\n";
inline const QByteArray kGet = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
inline const QByteArray kSmuggle = "@SMUGGLE@"; // replaced by a valid log request carrying SMUGGLED

struct Hostile
{
    const char *name;
    QByteArray raw;
    int status;        // the exact answer; 0 = closed without one
    bool fast = false; // must be answered well before the header deadline
};

// Every case assumes a server with kBodyCap and kHeaderCap, and a header deadline.
std::vector<Hostile> hostileCases();

// A complete log callback for `jobId` carrying `message`, authenticated with the job's token.
QByteArray logRequest(const QString &jobId, const QByteArray &token, const QByteArray &message);
// `body` as one chunk followed by the last chunk.
QByteArray chunked(const QByteArray &body);
// `n` distinct filler header fields.
QByteArray manyHeaders(int n);

} // namespace cdtest::framing
