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
    // Every problem is named, not only the first: a form can show them all at once.
    CrawlParams p;
    QStringList problems;
    for (const char *list : {"start_urls", "keywords"}) {
        const QJsonValue v = o.value(QLatin1String(list));
        bool ok = v.isUndefined() || v.isArray();
        for (const QJsonValue &e : v.toArray())
            ok = ok && e.isString();
        if (!ok)
            problems << QStringLiteral("'%1' must be a list of strings").arg(QLatin1String(list));
    }
    for (const QJsonValue &v : o.value(QStringLiteral("start_urls")).toArray()) {
        const QUrl u(v.toString(), QUrl::StrictMode);
        if (!u.isValid() || (u.scheme() != u"http" && u.scheme() != u"https") || u.host().isEmpty())
            problems << QStringLiteral("start URL '%1' is not an http(s) URL").arg(v.toString());
        else
            p.startUrls << u;
    }
    if (o.value(QStringLiteral("start_urls")).toArray().isEmpty())
        problems << QStringLiteral("'start_urls' is empty: the crawler needs at least one page to start from");
    for (const QJsonValue &v : o.value(QStringLiteral("keywords")).toArray())
        if (!v.toString().trimmed().isEmpty())
            p.keywords << v.toString().trimmed();
    if (p.keywords.isEmpty())
        problems << QStringLiteral("'keywords' is empty");
    struct IntKey
    {
        const char *key;
        int min;
        int max;
        int *out;
    };
    for (const IntKey &k :
         {IntKey{"domain_count", 1, 1000000, &p.domainCount}, IntKey{"max_pages", 1, 10000000, &p.maxPages},
          IntKey{"max_depth", 0, 1000, &p.maxDepth}, IntKey{"delay_ms", 0, 600000, &p.delayMs},
          IntKey{"concurrency", 1, 256, &p.concurrency}, IntKey{"timeout_s", 1, 3600, &p.timeoutS},
          IntKey{"max_redirects", 0, 50, &p.maxRedirects}}) {
        QString err;
        if (!readInt(o, k.key, k.min, k.max, k.out, &err))
            problems << err;
    }
    const QJsonValue sameSite = o.value(QStringLiteral("same_site_only"));
    if (!sameSite.isUndefined() && !sameSite.isNull() && !sameSite.isBool())
        problems << QStringLiteral("'same_site_only' must be true or false");
    p.sameSiteOnly = sameSite.toBool(false);
    const QJsonValue agent = o.value(QStringLiteral("user_agent"));
    if (!agent.isUndefined() && !agent.isNull() && !agent.isString())
        problems << QStringLiteral("'user_agent' must be a string");
    if (!agent.toString().trimmed().isEmpty())
        p.userAgent = agent.toString().trimmed();
    if (!problems.isEmpty())
        return bad(problems.join(QStringLiteral("; ")));
    return p;
}

} // namespace cd::crawler
