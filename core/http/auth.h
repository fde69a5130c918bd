#pragma once

#include "authlimiter.h"
#include "common/result.h"
#include "reply.h"

#include <QByteArray>
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
// * callback = the job's own token (?token= or X-Callback-Token), the callback key in X-API-Key, or
//   the API token.
// Missing or wrong credentials are 401; a valid credential without the right (the callback key or a
// job token on a control route, another job's token) is 403. Wrong credentials count towards the
// per-address limit; an address over it is refused with 429 before its credentials are looked at.
// Loopback trust, when an operator opts in, lets same-machine clients read and post logs without one.
class Auth final
{
public:
    Auth(QString apiToken, QString callbackKey, QByteArray secret, bool trustLoopback, AuthLimits limits = {});

    // "<job id>.<mac>": the id says which job a token was made for, so a valid token used for
    // another job is told apart (403) from a forged one (401).
    QString jobToken(const QString &jobId) const;

    // Each returns nothing when the request may go on. `jobId`: the job named in the path, if any.
    std::optional<Denial> control(const Request &req, const QString &jobId = {}) const;
    std::optional<Denial> read(const Request &req, const QString &jobId = {}) const;
    // Before the body is read: refuses requests that carry no credential, or one that is not valid for
    // any job. `callback` then checks the token against the job the body names.
    std::optional<Denial> callbackPrecheck(const Request &req) const;
    enum class Loopback { Honour, Ignore };
    std::optional<Denial> callback(const Request &req, const QString &jobId,
                                   Loopback loopback = Loopback::Honour) const;

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

    static bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

private:
    // What a request presented, each credential checked. Every credential sent must be valid: one
    // wrong one refuses the request whatever else it carries.
    struct Presented
    {
        bool any = false;       // some credential, of any kind, was sent
        bool wrong = false;     // one is not valid
        bool malformed = false; // one is empty (a Bearer without a value, an empty header)
        bool apiToken = false;
        bool callbackKey = false;
        QString jobTokenFor;   // the job a valid job token was made for
        bool deferred = false; // a legacy job token that only the body's job can check
    };
    Presented examine(const Request &req, const QString &jobId, bool deferLegacy) const;
    bool jobTokenValid(const QByteArray &token, QString *madeFor) const;
    std::optional<Denial> access(const Request &req, const QString &jobId, bool readOnly) const;
    std::optional<Denial> cooling(const Request &req) const;
    Denial wrong(const Request &req, const QString &why) const;
    static Denial missing(const QString &why);
    static Denial forbidden(const QString &why);
    static Denial malformed();

    QByteArray m_apiToken;
    QByteArray m_callbackKey;
    QByteArray m_secret;
    bool m_trustLoopback;
    // Bookkeeping of failures, not part of what a credential means: checks stay const.
    mutable AuthLimiter m_limiter;
};

} // namespace cd::http
