#include "jobfacts.h"

#include <QJsonArray>
#include <QStringList>
#include <QUrl>

namespace cd::ui {

namespace {
int intOr(const QJsonObject &o, const QString &key, int fallback = -1)
{
    const QJsonValue v = o.value(key);
    return v.isDouble() ? v.toInt() : fallback;
}

QString firstHost(const QJsonObject &params)
{
    const QJsonArray urls = params.value(QStringLiteral("start_urls")).toArray();
    if (urls.isEmpty())
        return {};
    const QString text = urls.first().toString();
    const QUrl url = QUrl::fromUserInput(text);
    QString host = url.host().isEmpty() ? text : url.host();
    if (host.startsWith(QStringLiteral("www.")))
        host = host.mid(4);
    return urls.size() > 1 ? QStringLiteral("%1 +%2").arg(host).arg(urls.size() - 1) : host;
}
} // namespace

JobFacts JobFacts::of(const model::Job &job)
{
    JobFacts f;
    const QJsonObject &p = job.params;
    QStringList keywords;
    for (const QJsonValue &k : p.value(QStringLiteral("keywords")).toArray())
        if (!k.toString().trimmed().isEmpty())
            keywords << k.toString().trimmed();
    QStringList parts;
    if (!keywords.isEmpty())
        parts << keywords.join(QStringLiteral(", "));
    if (const QString host = firstHost(p); !host.isEmpty())
        parts << host;
    else if (job.backend == model::Backend::RunPod)
        // The endpoint is the service's, not the job's; the request id is what identifies the run.
        parts << (job.remoteId.isEmpty() ? QStringLiteral("RunPod endpoint")
                                         : QStringLiteral("RunPod ") + job.remoteId);
    if (const QString profile = p.value(QStringLiteral("profile")).toString(); !profile.isEmpty())
        parts << profile;
    f.what = parts.isEmpty() ? job.kind : parts.join(QStringLiteral(" · "));

    const QJsonObject &s = job.summary;
    const QJsonObject domains = s.value(QStringLiteral("domains_generated")).toObject();
    f.found = intOr(domains, QStringLiteral("success"));
    if (f.found < 0 && s.value(QStringLiteral("domains")).isArray())
        f.found = static_cast<int>(s.value(QStringLiteral("domains")).toArray().size());
    f.wanted = intOr(domains, QStringLiteral("total"), intOr(p, QStringLiteral("domain_count")));
    f.pages = intOr(s, QStringLiteral("pages"), intOr(s, QStringLiteral("pages_done")));
    f.maxPages = intOr(s, QStringLiteral("max_pages"), intOr(p, QStringLiteral("max_pages")));
    f.errors = intOr(s, QStringLiteral("errors"));

    if (job.status != model::JobStatus::Completed)
        return f;
    QStringList why;
    const bool fellShort = job.outcome() == u"partial" || (f.found >= 0 && f.wanted > 0 && f.found < f.wanted);
    if (f.found >= 0 && f.wanted > 0 && f.found < f.wanted)
        why << QStringLiteral("found %1 of %2 domains").arg(f.found).arg(f.wanted);
    if (const QString by = s.value(QStringLiteral("stopped_by")).toString(); fellShort && !by.isEmpty())
        why << QStringLiteral("stopped by %1").arg(by);
    if (f.errors > 0)
        why << (f.errors == 1 ? QStringLiteral("1 error logged") : QStringLiteral("%1 errors logged").arg(f.errors));
    if (fellShort)
        f.badge = QStringLiteral("partial");
    else if (f.errors > 0)
        f.badge = QStringLiteral("with errors");
    f.badgeWhy = why.join(QStringLiteral("; "));
    return f;
}

QString JobFacts::foundText() const
{
    if (found < 0)
        return wanted > 0 ? QStringLiteral("– / %1").arg(wanted) : QString();
    return wanted > 0 ? QStringLiteral("%1 / %2").arg(found).arg(wanted) : QString::number(found);
}

QString JobFacts::pagesText() const
{
    if (pages < 0)
        return {};
    return maxPages > 0 ? QStringLiteral("%1 / %2").arg(pages).arg(maxPages) : QString::number(pages);
}

} // namespace cd::ui
