#include "crawlparams.h"

#include <QJsonArray>

#include <cmath>

namespace cd::crawler {

namespace {
Error bad(const QString &what)
{
    return Error::make(Error::Code::Unprocessable, what);
}

bool readInt(const QJsonObject &o, const char *key, int min, int max, int *out, QString *err)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isDouble() || v.toDouble() < min || v.toDouble() > max || std::trunc(v.toDouble()) != v.toDouble()) {
        *err = QStringLiteral("'%1' must be a whole number from %2 to %3").arg(QLatin1String(key)).arg(min).arg(max);
        return false;
    }
    *out = v.toInt();
    return true;
}
} // namespace

const QStringList &CrawlParams::keys()
{
    static const QStringList k{
        QStringLiteral("start_urls"), QStringLiteral("keywords"),     QStringLiteral("domain_count"),
        QStringLiteral("max_pages"),  QStringLiteral("max_depth"),    QStringLiteral("same_site_only"),
        QStringLiteral("delay_ms"),   QStringLiteral("concurrency"),  QStringLiteral("user_agent"),
        QStringLiteral("timeout_s"),  QStringLiteral("max_redirects")};
    return k;
}

Result<CrawlParams> CrawlParams::fromJson(const QJsonObject &o)
{
    CrawlParams p;
    for (const char *list : {"start_urls", "keywords"}) {
        const QJsonValue v = o.value(QLatin1String(list));
        if (!v.isUndefined() && !v.isArray())
            return bad(QStringLiteral("'%1' must be a list of strings").arg(QLatin1String(list)));
        for (const QJsonValue &e : v.toArray())
            if (!e.isString())
                return bad(QStringLiteral("'%1' must be a list of strings").arg(QLatin1String(list)));
    }
    for (const QJsonValue &v : o.value(QStringLiteral("start_urls")).toArray()) {
        const QUrl u(v.toString(), QUrl::StrictMode);
        if (!u.isValid() || (u.scheme() != u"http" && u.scheme() != u"https") || u.host().isEmpty())
            return bad(QStringLiteral("start URL '%1' is not an http(s) URL").arg(v.toString()));
        p.startUrls << u;
    }
    if (p.startUrls.isEmpty())
        return bad(QStringLiteral("'start_urls' is empty: the crawler needs at least one page to start from"));
    for (const QJsonValue &v : o.value(QStringLiteral("keywords")).toArray())
        if (!v.toString().trimmed().isEmpty())
            p.keywords << v.toString().trimmed();
    if (p.keywords.isEmpty())
        return bad(QStringLiteral("'keywords' is empty"));
    QString err;
    if (!readInt(o, "domain_count", 1, 1000000, &p.domainCount, &err) ||
        !readInt(o, "max_pages", 1, 10000000, &p.maxPages, &err) ||
        !readInt(o, "max_depth", 0, 1000, &p.maxDepth, &err) || !readInt(o, "delay_ms", 0, 600000, &p.delayMs, &err) ||
        !readInt(o, "concurrency", 1, 256, &p.concurrency, &err) ||
        !readInt(o, "timeout_s", 1, 3600, &p.timeoutS, &err) ||
        !readInt(o, "max_redirects", 0, 50, &p.maxRedirects, &err))
        return bad(err);
    const QJsonValue sameSite = o.value(QStringLiteral("same_site_only"));
    if (!sameSite.isUndefined() && !sameSite.isNull() && !sameSite.isBool())
        return bad(QStringLiteral("'same_site_only' must be true or false"));
    p.sameSiteOnly = sameSite.toBool(false);
    const QJsonValue agent = o.value(QStringLiteral("user_agent"));
    if (!agent.isUndefined() && !agent.isNull() && !agent.isString())
        return bad(QStringLiteral("'user_agent' must be a string"));
    if (!agent.toString().isEmpty())
        p.userAgent = agent.toString();
    return p;
}

} // namespace cd::crawler
