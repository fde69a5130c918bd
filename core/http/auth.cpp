#include "auth.h"

#include "request.h"

#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcAuth, "crawldeck.http.auth", QtInfoMsg)

namespace cd::http {

using Code = Error::Code;

namespace {
const QByteArray kRealm = QByteArrayLiteral("Bearer realm=\"crawldeck\"");

QByteArray macOf(const QByteArray &secret, const QString &jobId)
{
    const QByteArray mac = QMessageAuthenticationCode::hash(jobId.toUtf8(), secret, QCryptographicHash::Sha256);
    return mac.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Where a request came from and what it asked for, for the log; never a credential or a query.
QString who(const Request &req)
{
    return req.path + QStringLiteral(" from ") + req.remote.toString();
}
} // namespace

Auth::Auth(QString apiToken, QString callbackKey, QByteArray secret, bool trustLoopback, AuthLimits limits)
    : m_apiToken(apiToken.toUtf8())
    , m_callbackKey(callbackKey.toUtf8())
    , m_secret(std::move(secret))
    , m_trustLoopback(trustLoopback)
    , m_limiter(limits)
{}

bool Auth::constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.isEmpty() || b.isEmpty())
        return false;
    // Length leaks, content does not: tokens have a fixed, public length anyway.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const qsizetype n = qMin(a.size(), b.size());
    for (qsizetype i = 0; i < n; ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

QString Auth::jobToken(const QString &jobId) const
{
    return jobId + u'.' + QString::fromLatin1(macOf(m_secret, jobId));
}

bool Auth::jobTokenValid(const QByteArray &token, QString *madeFor) const
{
    const qsizetype dot = token.lastIndexOf('.');
    if (dot <= 0) {
        // Tokens handed out before they named their job (still held by jobs that were running then):
        // only the job they were made for can check them.
        if (!madeFor->isEmpty() && constantTimeEquals(token, macOf(m_secret, *madeFor)))
            return true;
        madeFor->clear();
        return false;
    }
    const QString id = QString::fromUtf8(token.left(dot));
    if (!constantTimeEquals(token.mid(dot + 1), macOf(m_secret, id)))
        return false;
    *madeFor = id;
    return true;
}

Auth::Credential Auth::credentialOf(const Request &req)
{
    if (req.headers.contains(QByteArrayLiteral("authorization"))) {
        const QByteArray h = req.header(QByteArrayLiteral("authorization")).trimmed();
        const qsizetype space = h.indexOf(' ');
        const QByteArray scheme = (space < 0 ? h : h.left(space)).toLower();
        // RFC 9110: the scheme is case-insensitive, so `bearer` is Bearer.
        if (scheme != "bearer")
            return {Kind::OtherScheme, {}};
        const QByteArray value = space < 0 ? QByteArray() : h.mid(space + 1).trimmed();
        return {value.isEmpty() ? Kind::Malformed : Kind::Bearer, value};
    }
    if (req.query.hasQueryItem(QStringLiteral("access_token"))) {
        const QByteArray value = req.queryValue(QStringLiteral("access_token")).toUtf8();
        return {value.isEmpty() ? Kind::Malformed : Kind::Bearer, value};
    }
    if (req.headers.contains(QByteArrayLiteral("x-api-key"))) {
        const QByteArray value = req.header(QByteArrayLiteral("x-api-key")).trimmed();
        return {value.isEmpty() ? Kind::Malformed : Kind::ApiKey, value};
    }
    QByteArray job = req.queryValue(QStringLiteral("token")).toUtf8();
    if (job.isEmpty())
        job = req.header(QByteArrayLiteral("x-callback-token")).trimmed();
    if (!job.isEmpty())
        return {Kind::JobToken, job};
    if (req.query.hasQueryItem(QStringLiteral("token")) || req.headers.contains(QByteArrayLiteral("x-callback-token")))
        return {Kind::Malformed, {}};
    return {};
}

Denial Auth::missing(const QString &why)
{
    return Denial{Error::make(Code::Unauthorized, why), {{QByteArrayLiteral("WWW-Authenticate"), kRealm}}, false};
}

Denial Auth::forbidden(const QString &why)
{
    return Denial{Error::make(Code::Forbidden, why),
                  {{QByteArrayLiteral("WWW-Authenticate"), kRealm + ", error=\"insufficient_scope\""}},
                  false};
}

Denial Auth::wrong(const Request &req, const QString &why) const
{
    qCDebug(lcAuth).noquote() << "refused" << who(req) << "-" << why;
    if (m_limiter.recordFailure(req.remote)) {
        const AuthLimits l = m_limiter.limits();
        qCWarning(lcAuth).noquote() << QStringLiteral("%1 sent %2 wrong credentials within %3 s: refused for %4 s")
                                           .arg(req.remote.toString())
                                           .arg(l.maxFailures)
                                           .arg(l.windowMs / 1000.0)
                                           .arg(l.coolingMs / 1000.0);
    }
    return Denial{Error::make(Code::Unauthorized, why),
                  {{QByteArrayLiteral("WWW-Authenticate"), kRealm + ", error=\"invalid_token\""}},
                  false};
}

std::optional<Denial> Auth::cooling(const Request &req) const
{
    const qint64 left = m_limiter.coolingLeftMs(req.remote);
    if (left <= 0)
        return std::nullopt;
    const qint64 seconds = (left + 999) / 1000;
    return Denial{
        Error::make(Code::TooManyRequests,
                    QStringLiteral("too many wrong credentials from this address; try again in %1 s").arg(seconds)),
        {{QByteArrayLiteral("Retry-After"), QByteArray::number(seconds)}},
        false};
}

std::optional<Denial> Auth::access(const Request &req, const QString &jobId, bool readOnly) const
{
    if (auto c = cooling(req))
        return c;
    const Credential cred = credentialOf(req);
    switch (cred.kind) {
    case Kind::Bearer:
        if (constantTimeEquals(cred.value, m_apiToken))
            return std::nullopt;
        return wrong(req, QStringLiteral("the API token is not valid"));
    case Kind::ApiKey:
        if (constantTimeEquals(cred.value, m_callbackKey))
            return forbidden(QStringLiteral("the callback key only posts log lines; this route needs the API token "
                                            "('Authorization: Bearer <token>')"));
        return wrong(req, QStringLiteral("the API key is not valid"));
    case Kind::JobToken: {
        QString madeFor = jobId;
        if (jobTokenValid(cred.value, &madeFor))
            return forbidden(QStringLiteral("a job token only posts that job's log lines; this route needs the API "
                                            "token ('Authorization: Bearer <token>')"));
        return wrong(req, QStringLiteral("the job token is not valid"));
    }
    case Kind::Malformed:
        return Denial{Error::make(Code::Unauthorized,
                                  QStringLiteral("the credential is empty; send 'Authorization: Bearer <token>'")),
                      {{QByteArrayLiteral("WWW-Authenticate"), kRealm + ", error=\"invalid_token\""}},
                      false};
    case Kind::OtherScheme:
    case Kind::None: break;
    }
    if (readOnly && m_trustLoopback && req.isLoopback() && cred.kind == Kind::None)
        return std::nullopt;
    return missing(QStringLiteral("this route needs the API token: send 'Authorization: Bearer <token>'"));
}

std::optional<Denial> Auth::control(const Request &req, const QString &jobId) const
{
    return access(req, jobId, false);
}

std::optional<Denial> Auth::read(const Request &req, const QString &jobId) const
{
    return access(req, jobId, true);
}

std::optional<Denial> Auth::callbackPrecheck(const Request &req) const
{
    if (auto c = cooling(req))
        return c;
    const Credential cred = credentialOf(req);
    if (cred.kind == Kind::JobToken) {
        // A legacy token (no job id in it) can only be checked against the body's job.
        if (!cred.value.contains('.'))
            return std::nullopt;
        QString madeFor;
        if (jobTokenValid(cred.value, &madeFor))
            return std::nullopt;
        return wrong(req, QStringLiteral("the callback token is not valid"));
    }
    return callback(req, QString());
}

std::optional<Denial> Auth::callback(const Request &req, const QString &jobId, Loopback loopback) const
{
    if (auto c = cooling(req))
        return c;
    const Credential cred = credentialOf(req);
    switch (cred.kind) {
    case Kind::JobToken: {
        QString madeFor = jobId;
        if (!jobTokenValid(cred.value, &madeFor))
            return wrong(req, QStringLiteral("the callback token is not valid"));
        if (madeFor == jobId || jobId.isEmpty())
            return std::nullopt;
        return forbidden(QStringLiteral("the callback token belongs to another job, not to job %1").arg(jobId));
    }
    case Kind::ApiKey:
        if (constantTimeEquals(cred.value, m_callbackKey))
            return std::nullopt;
        return wrong(req, QStringLiteral("the API key is not valid"));
    case Kind::Bearer:
        if (constantTimeEquals(cred.value, m_apiToken))
            return std::nullopt;
        return wrong(req, QStringLiteral("the API token is not valid"));
    case Kind::Malformed:
        return Denial{Error::make(Code::Unauthorized, QStringLiteral("the credential is empty")),
                      {{QByteArrayLiteral("WWW-Authenticate"), kRealm + ", error=\"invalid_token\""}},
                      false};
    case Kind::OtherScheme:
    case Kind::None: break;
    }
    if (loopback == Loopback::Honour && m_trustLoopback && req.isLoopback() && cred.kind == Kind::None)
        return std::nullopt;
    return missing(QStringLiteral("log callbacks need the job's token (?token= or X-Callback-Token) or the callback "
                                  "key (X-API-Key)"));
}

std::optional<Denial> Auth::ambiguous(const QList<QPair<QByteArray, QByteArray>> &rawHeaders, const QUrlQuery &query)
{
    int authorization = 0, apiKey = 0, callbackToken = 0;
    QByteArray headerToken;
    for (const auto &h : rawHeaders) {
        const QByteArray name = h.first.toLower();
        authorization += name == "authorization";
        apiKey += name == "x-api-key";
        if (name == "x-callback-token") {
            ++callbackToken;
            headerToken = h.second.trimmed();
        }
    }
    const int accessTokens = static_cast<int>(query.allQueryItemValues(QStringLiteral("access_token")).size());
    const QStringList tokens = query.allQueryItemValues(QStringLiteral("token"), QUrl::FullyDecoded);
    QString why;
    if (authorization > 1)
        why = QStringLiteral("two Authorization headers");
    else if (apiKey > 1)
        why = QStringLiteral("two X-API-Key headers");
    else if (callbackToken > 1)
        why = QStringLiteral("two X-Callback-Token headers");
    else if (accessTokens > 1)
        why = QStringLiteral("two access_token parameters");
    else if (tokens.size() > 1)
        why = QStringLiteral("two token parameters");
    else if (authorization > 0 && accessTokens > 0)
        // RFC 6750 §2: a client must not use more than one method to send the token.
        why = QStringLiteral("both an Authorization header and an access_token parameter");
    else if (callbackToken > 0 && !tokens.isEmpty() && tokens.first().toUtf8() != headerToken)
        why = QStringLiteral("an X-Callback-Token header and a token parameter that differ");
    if (why.isEmpty())
        return std::nullopt;
    return Denial{
        Error::make(Code::InvalidArgument, QStringLiteral("ambiguous credentials: %1; send one").arg(why)), {}, true};
}

void Auth::refuse(Reply &reply, const Denial &denial)
{
    if (denial.close)
        reply.setCloseAfter(true);
    reply.error(denial.error, denial.headers);
}

} // namespace cd::http
