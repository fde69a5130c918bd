#pragma once

#include "authlimiter.h"
#include "common/result.h"
#include "reply.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

class QUrlQuery;

namespace cd::http {

struct Request;

// Why a request was refused, with the headers that go with the answer (RFC 6750 challenge,
// Retry-After) and whether the connection closes after it.
struct Denial
{
    Error error;
    Headers headers;
    bool close = false;
};

// Credentials, strict by default (no address is trusted: behind a reverse proxy every client is
// 127.0.0.1):
// * control = the API token (Authorization: Bearer, or ?access_token= for EventSource clients);
// * callback = the job's own token (?token=, X-Callback-Token or Authorization: Bearer), the callback
//   key in X-API-Key, or the API token.
// Missing or wrong credentials are 401; a valid credential without the right (the callback key or a
// job token on a control route, another job's token) is 403 and is no failure. Wrong credentials
// count towards the per-client limit; a client over it is refused with 429 before its credentials
// are looked at. The client is the peer address, or, when the peer is a trusted proxy, the address
// that proxy appended to X-Forwarded-For: only for counting and logging, never for trust.
// Loopback trust, when an operator opts in, lets same-machine clients read and post logs without one.
class Auth final
{
public:
    Auth(QString apiToken, QString callbackKey, QByteArray secret, bool trustLoopback, AuthLimits limits = {});

    // "<job id>.<mac>": the id says which job a token was made for, so a valid token used for
    // another job is told apart (403) from a forged one (401).
    QString jobToken(const QString &jobId) const;

    // What a request presented, each credential checked once. Every credential sent must be valid:
    // one wrong one refuses the request whatever else it carries.
    struct Presented
    {
        bool any = false;       // some credential, of any kind, was sent
        bool wrong = false;     // one is not valid
        bool malformed = false; // one is empty (a Bearer without a value, an empty header)
        bool apiToken = false;
        bool callbackKey = false;
        QString jobTokenFor;      // the job a valid job token was made for
        QByteArray deferredToken; // a legacy job token that only the body's job can check
    };

    // Each returns nothing when the request may go on. `jobId`: the job named in the path, if any.
    std::optional<Denial> control(const Request &req, const QString &jobId = {}) const;
    std::optional<Denial> read(const Request &req, const QString &jobId = {}) const;
    // A log callback in two steps. Before the body is read, `callbackPrecheck` refuses requests that
    // carry no credential, or one that is not valid for any job, and fills `presented`; once the body
    // names the job, `callback` checks the credential against it without computing anything twice.
    std::optional<Denial> callbackPrecheck(const Request &req, Presented *presented) const;
    std::optional<Denial> callback(const Request &req, const QString &jobId, const Presented &presented) const;
    // The answer for a problem found between the two steps (query, body). A legacy token is still
    // unchecked then, and a made-up one must learn nothing from the body's checks: 401 invalid_token,
    // counted as a failure. Otherwise `error` itself.
    Denial beforeVerified(const Request &req, const Presented &presented, const Error &error) const;
    // RunPod's webhook: the job's token from the URL (or the API token); loopback trust never
    // applies, since the webhook settles a job.
    std::optional<Denial> webhook(const Request &req, const QString &jobId) const;

    // Two values for one credential (two Authorization headers, header and ?access_token=, ...) are
    // ambiguous: 400 and close, whatever the route.
    static std::optional<Denial> ambiguous(const QList<QPair<QByteArray, QByteArray>> &rawHeaders,
                                           const QUrlQuery &query);
    static void refuse(Reply &reply, const Denial &denial);

    void setApiToken(const QString &token) { m_apiToken = token.toUtf8(); }
    void setTrustLoopback(bool on) { m_trustLoopback = on; }
    bool trustLoopback() const { return m_trustLoopback; }
    void setLimits(const AuthLimits &limits) { m_limiter.setLimits(limits); }
    const AuthLimiter &limiter() const { return m_limiter; }
    // Reverse proxies whose X-Forwarded-For / Forwarded headers name the client (empty: none).
    void setTrustedProxies(const QList<QHostAddress> &proxies) { m_trustedProxies = proxies; }
    QHostAddress clientOf(const Request &req) const;

    static bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

private:
    Presented examine(const Request &req, const QString &jobId, bool deferLegacy) const;
    bool jobTokenValid(const QByteArray &token, QString *madeFor) const;
    // The opening every check shares: cooling, then each credential, then wrong or empty ones.
    std::optional<Denial> admit(const Request &req, const QString &jobId, bool deferLegacy, Presented *p) const;
    std::optional<Denial> access(const Request &req, const QString &jobId, bool readOnly) const;
    std::optional<Denial> settle(const Request &req, const QString &jobId, Presented p, bool loopbackMay,
                                 const QString &hint) const;
    std::optional<Denial> cooling(const Request &req) const;
    Denial wrong(const Request &req, const QString &why) const;
    QString from(const Request &req) const;
    QString who(const Request &req) const;
    static Denial missing(const QString &why);
    static Denial forbidden(const QString &why);
    static Denial malformed();
    // The MAC of a job's token, remembered: every log line of a job presents the same token, and
    // the HMAC was about a tenth of the cost of ingesting one line.
    QByteArray macFor(const QString &jobId) const;

    QByteArray m_apiToken;
    QByteArray m_callbackKey;
    QByteArray m_secret;
    bool m_trustLoopback;
    QList<QHostAddress> m_trustedProxies;
    // Bookkeeping of failures, not part of what a credential means: checks stay const.
    mutable AuthLimiter m_limiter;
    mutable QHash<QString, QByteArray> m_macs; // by job id; cleared when full (ids in tokens are anyone's to choose)
};

} // namespace cd::http
