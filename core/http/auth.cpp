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
const QString kCallbackHint = QStringLiteral("log callbacks need the job's token (?token= or X-Callback-Token) or the "
                                             "callback key (X-API-Key)");
// Says nothing of the job: an unauthenticated caller must not learn whether it is a RunPod job.
const QString kWebhookHint = QStringLiteral("webhook calls need the job's token in the URL (?token=), as in the "
                                            "webhook URL sent with the job");

QByteArray macOf(const QByteArray &secret, const QString &jobId)
{
    const QByteArray mac = QMessageAuthenticationCode::hash(jobId.toUtf8(), secret, QCryptographicHash::Sha256);
    return mac.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
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
    return jobId + u'.' + QString::fromLatin1(macFor(jobId));
}

QByteArray Auth::macFor(const QString &jobId) const
{
    constexpr qsizetype kRemembered = 4096;
    if (const auto it = m_macs.constFind(jobId); it != m_macs.cend())
        return it.value();
    if (m_macs.size() >= kRemembered)
        m_macs.clear();
    return m_macs.insert(jobId, macOf(m_secret, jobId)).value();
}

bool Auth::jobTokenValid(const QByteArray &token, QString *madeFor) const
{
    const qsizetype dot = token.lastIndexOf('.');
    if (dot <= 0) {
        // Tokens handed out before they named their job (still held by jobs that were running then):
        // only the job they were made for can check them.
        if (!madeFor->isEmpty() && constantTimeEquals(token, macFor(*madeFor)))
            return true;
        madeFor->clear();
        return false;
    }
    const QString id = QString::fromUtf8(token.left(dot));
    if (!constantTimeEquals(token.mid(dot + 1), macFor(id)))
        return false;
    *madeFor = id;
    return true;
}

Auth::Presented Auth::examine(const Request &req, const QString &jobId, bool deferLegacy) const
{
    Presented p;
    auto jobTokenOf = [&](const QByteArray &token) {
        QString madeFor = jobId;
        if (!jobTokenValid(token, &madeFor))
            return false;
        // Two valid job tokens for two jobs say nothing clear about which job is meant.
        if (!p.jobTokenFor.isEmpty() && p.jobTokenFor != madeFor)
            p.wrong = true;
        p.jobTokenFor = madeFor;
        return true;
    };
    auto bearer = [&](const QByteArray &value) {
        if (value.isEmpty())
            p.malformed = true;
        else if (constantTimeEquals(value, m_apiToken))
            p.apiToken = true;
        // A job token is a valid credential wherever it is sent: on a control route it lacks the
        // right (403), it is not a wrong guess.
        else if (!value.contains('.') || !jobTokenOf(value))
            p.wrong = true;
    };
    if (req.headers.contains(QByteArrayLiteral("authorization"))) {
        p.any = true;
        const QByteArray h = req.header(QByteArrayLiteral("authorization")).trimmed();
        const qsizetype space = h.indexOf(' ');
        // RFC 9110: the scheme is case-insensitive, so `bearer` is Bearer. Another scheme is no
        // credential of ours (RFC 6750 §3.1: no error code for it).
        if ((space < 0 ? h : h.left(space)).toLower() == "bearer")
            bearer(space < 0 ? QByteArray() : h.mid(space + 1).trimmed());
    }
    if (req.query.hasQueryItem(QStringLiteral("access_token"))) {
        p.any = true;
        bearer(req.queryValue(QStringLiteral("access_token")).toUtf8());
    }
    if (req.headers.contains(QByteArrayLiteral("x-api-key"))) {
        p.any = true;
        const QByteArray key = req.header(QByteArrayLiteral("x-api-key")).trimmed();
        if (key.isEmpty())
            p.malformed = true;
        else if (constantTimeEquals(key, m_callbackKey))
            p.callbackKey = true;
        else
            p.wrong = true;
    }
    // Header and query may both carry it only when they agree (ambiguous() refuses the rest).
    const bool inQuery = req.query.hasQueryItem(QStringLiteral("token"));
    if (inQuery || req.headers.contains(QByteArrayLiteral("x-callback-token"))) {
        p.any = true;
        const QByteArray token = inQuery ? req.queryValue(QStringLiteral("token")).toUtf8()
                                         : req.header(QByteArrayLiteral("x-callback-token")).trimmed();
        if (token.isEmpty())
            p.malformed = true;
        else if (deferLegacy && jobId.isEmpty() && !token.contains('.'))
            p.deferredToken = token;
        else if (!jobTokenOf(token))
            p.wrong = true;
    }
    return p;
}

QHostAddress Auth::clientOf(const Request &req) const
{
    return req.clientAddress(m_trustedProxies);
}

QString Auth::from(const Request &req) const
{
    const QHostAddress client = clientOf(req);
    return client == req.remote ? client.toString()
                                : client.toString() + QStringLiteral(" via ") + req.remote.toString();
}

// Where a request came from and what it asked for, for the log; never a credential or a query.
QString Auth::who(const Request &req) const
{
    return req.path + QStringLiteral(" from ") + from(req);
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
    if (m_limiter.recordFailure(clientOf(req))) {
        const AuthLimits l = m_limiter.limits();
        qCWarning(lcAuth).noquote() << QStringLiteral("%1 sent %2 wrong credentials within %3 s: refused for %4 s")
                                           .arg(from(req))
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
    const qint64 left = m_limiter.coolingLeftMs(clientOf(req));
    if (left <= 0)
        return std::nullopt;
    const qint64 seconds = (left + 999) / 1000;
    return Denial{
        Error::make(Code::TooManyRequests,
                    QStringLiteral("too many wrong credentials from this address; try again in %1 s").arg(seconds)),
        {{QByteArrayLiteral("Retry-After"), QByteArray::number(seconds)}},
        false};
}

Denial Auth::malformed()
{
    return Denial{Error::make(Code::Unauthorized,
                              QStringLiteral("a credential was sent empty; send 'Authorization: Bearer <token>' "
                                             "(or the job's token for log lines)")),
                  {{QByteArrayLiteral("WWW-Authenticate"), kRealm + ", error=\"invalid_token\""}},
                  false};
}

std::optional<Denial> Auth::admit(const Request &req, const QString &jobId, bool deferLegacy, Presented *p) const
{
    if (auto c = cooling(req))
        return c;
    *p = examine(req, jobId, deferLegacy);
    if (p->wrong)
        return wrong(req, QStringLiteral("a credential is not valid"));
    if (p->malformed)
        return malformed();
    return std::nullopt;
}

std::optional<Denial> Auth::access(const Request &req, const QString &jobId, bool readOnly) const
{
    Presented p;
    if (auto denial = admit(req, jobId, false, &p))
        return denial;
    if (p.apiToken)
        return std::nullopt;
    if (p.callbackKey || !p.jobTokenFor.isEmpty())
        return forbidden(QStringLiteral("the callback key and job tokens only post log lines; this route needs the "
                                        "API token ('Authorization: Bearer <token>')"));
    if (readOnly && !p.any && m_trustLoopback && req.isLoopback())
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

std::optional<Denial> Auth::callbackPrecheck(const Request &req, Presented *presented) const
{
    if (auto denial = admit(req, QString(), true, presented))
        return denial;
    const Presented &p = *presented;
    if (p.apiToken || p.callbackKey || !p.jobTokenFor.isEmpty() || !p.deferredToken.isEmpty())
        return std::nullopt;
    if (!p.any && m_trustLoopback && req.isLoopback())
        return std::nullopt;
    return missing(kCallbackHint);
}

std::optional<Denial> Auth::callback(const Request &req, const QString &jobId, const Presented &presented) const
{
    Presented p = presented;
    if (!p.deferredToken.isEmpty()) {
        QString madeFor = jobId;
        if (!jobTokenValid(p.deferredToken, &madeFor))
            return wrong(req, QStringLiteral("a credential is not valid"));
        p.jobTokenFor = madeFor;
    }
    return settle(req, jobId, std::move(p), true, kCallbackHint);
}

Denial Auth::beforeVerified(const Request &req, const Presented &presented, const Error &error) const
{
    if (presented.deferredToken.isEmpty())
        return Denial{error, {}, false};
    return wrong(req, QStringLiteral("a credential is not valid"));
}

std::optional<Denial> Auth::webhook(const Request &req, const QString &jobId) const
{
    Presented p;
    if (auto denial = admit(req, jobId, false, &p))
        return denial;
    return settle(req, jobId, std::move(p), false, kWebhookHint);
}

std::optional<Denial> Auth::settle(const Request &req, const QString &jobId, Presented p, bool loopbackMay,
                                   const QString &hint) const
{
    if (p.apiToken || p.callbackKey || (!p.jobTokenFor.isEmpty() && p.jobTokenFor == jobId))
        return std::nullopt;
    if (!p.jobTokenFor.isEmpty())
        return forbidden(QStringLiteral("the callback token belongs to another job, not to job %1").arg(jobId));
    if (!p.any && loopbackMay && m_trustLoopback && req.isLoopback())
        return std::nullopt;
    return missing(hint);
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
