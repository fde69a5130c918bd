#include "crawler.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QScopeGuard>

namespace cd::crawler {

namespace {
constexpr int kScanLimit = 500; // frontier entries looked at per pump for a host that may go now

bool isHtml(const QString &contentType)
{
    const QString t = contentType.section(u';', 0, 0).trimmed().toLower();
    return t == u"text/html" || t == u"application/xhtml+xml";
}
} // namespace

Crawler::Crawler(CrawlParams params, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_params(std::move(params)), m_nam(nam), m_matcher(m_params.keywords)
{
    m_wake.setSingleShot(true);
    connect(&m_wake, &QTimer::timeout, this, &Crawler::pump);
}

Crawler::~Crawler()
{
    for (const auto &r : std::as_const(m_active))
        if (r)
            r->abort();
}

QString Crawler::hostKey(const QUrl &u)
{
    return u.scheme() + QStringLiteral("://") + u.host().toLower() + u':' +
           QString::number(u.port(u.scheme() == u"https" ? 443 : 80));
}

void Crawler::start()
{
    m_running = true;
    m_clock.start();
    for (const QUrl &u : std::as_const(m_params.startUrls)) {
        m_startDomains.insert(domainOf(u));
        enqueue(u, 0);
    }
    Q_EMIT line(
        QStringLiteral(
            "[INFO] crawling from %1 start URL(s) for: %2 (want %3 domains; budget %4 pages, depth %5, %6 at once)")
            .arg(m_params.startUrls.size())
            .arg(m_params.keywords.join(QStringLiteral(", ")))
            .arg(m_params.domainCount)
            .arg(m_params.maxPages)
            .arg(m_params.maxDepth)
            .arg(m_params.concurrency));
    QTimer::singleShot(0, this, &Crawler::pump);
}

void Crawler::stop(const QString &reason)
{
    if (!m_running)
        return;
    m_running = false;
    m_wake.stop();
    const auto active = std::exchange(m_active, {});
    for (const auto &r : active)
        if (r)
            r->abort();
    Q_EMIT finished(reason);
}

QList<DomainHit> Crawler::hits() const
{
    QList<DomainHit> out;
    for (const QString &d : m_hitOrder) {
        DomainHit h = m_hits.value(d);
        h.pagesSeen = m_pagesPerDomain.value(d);
        out << h;
    }
    return out;
}

void Crawler::enqueue(const QUrl &url, int depth)
{
    const QUrl n = normalizeUrl(url);
    if (!m_seen.contains(n.toString()) && (!m_params.sameSiteOnly || m_startDomains.contains(domainOf(n)))) {
        m_seen.insert(n.toString());
        m_frontier.enqueue(Item{n, depth});
    }
}

int Crawler::politenessMs(const Host &h) const
{
    return qMax(m_params.delayMs, h.rules.crawlDelayMs());
}

void Crawler::pump()
{
    if (!m_running)
        return;
    const qint64 now = m_clock.elapsed();
    qint64 soonest = -1;
    qsizetype i = 0;
    while (m_active.size() < m_params.concurrency && m_pagesStarted < m_params.maxPages && i < m_frontier.size() &&
           i < kScanLimit) {
        const Item item = m_frontier.at(i);
        const QString key = hostKey(item.url);
        Host &host = m_hosts[key];
        if (host.robots == Host::Robots::Unknown) {
            fetchRobots(key, item.url);
            ++i;
            continue;
        }
        if (host.robots == Host::Robots::Fetching) {
            ++i;
            continue;
        }
        if (!host.rules.allowed(item.url.path(QUrl::FullyEncoded) +
                                (item.url.hasQuery() ? u'?' + item.url.query(QUrl::FullyEncoded) : QString()))) {
            m_frontier.removeAt(i);
            if (item.depth == 0)
                m_startFailures.insert(item.url.toString(), host.robotsError.isEmpty()
                                                                ? QStringLiteral("robots.txt disallows it")
                                                                : host.robotsError);
            if (!host.robotsError.isEmpty())
                continue; // said once for the host when robots.txt failed
            ++m_robotsBlocked;
            Q_EMIT line(QStringLiteral("[INFO] robots.txt disallows %1").arg(item.url.toString()));
            continue;
        }
        if (host.nextAllowedMs > now) {
            soonest = soonest < 0 ? host.nextAllowedMs : qMin(soonest, host.nextAllowedMs);
            ++i;
            continue;
        }
        m_frontier.removeAt(i);
        host.nextAllowedMs = now + politenessMs(host);
        fetchPage(item);
    }
    if (soonest >= 0 && m_active.size() < m_params.concurrency)
        m_wake.start(static_cast<int>(qMax<qint64>(1, soonest - now)));
    finishIfDone();
}

void Crawler::fetchRobots(const QString &key, const QUrl &sample)
{
    Host &host = m_hosts[key];
    host.robots = Host::Robots::Fetching;
    QUrl url = sample;
    url.setPath(QStringLiteral("/robots.txt"));
    url.setQuery(QString());
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::UserAgentHeader, m_params.userAgent);
    req.setTransferTimeout(m_params.timeoutS * 1000);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    req.setMaximumRedirectsAllowed(m_params.maxRedirects);
    QNetworkReply *reply = m_nam->get(req);
    m_active.append(reply);
    connect(reply, &QNetworkReply::finished, this, [this, reply, key] {
        reply->deleteLater();
        m_active.removeAll(reply);
        Host &h = m_hosts[key];
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        // RFC 9309: 4xx means no rules; 5xx or unreachable means assume everything is disallowed.
        if (status >= 200 && status < 300)
            h.rules = RobotsRules::parse(reply->readAll().left(512 * 1024), m_params.userAgent);
        else if (status >= 400 && status < 500)
            h.rules = RobotsRules::allowAll();
        else {
            h.rules = RobotsRules::disallowAll();
            // No HTTP answer at all (refused, DNS, timeout) means the host is unreachable.
            h.robotsError = status ? QStringLiteral("robots.txt answered HTTP %1").arg(status)
                                   : QStringLiteral("unreachable (%1)").arg(reply->errorString());
            Q_EMIT line(QStringLiteral("[WARNING] %1: %2; not crawling that host").arg(key, h.robotsError));
        }
        h.robots = Host::Robots::Ready;
        pump();
    });
}

void Crawler::fetchPage(const Item &item)
{
    ++m_pagesStarted;
    QNetworkRequest req(item.url);
    req.setHeader(QNetworkRequest::UserAgentHeader, m_params.userAgent);
    req.setRawHeader("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1");
    req.setTransferTimeout(m_params.timeoutS * 1000);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    req.setMaximumRedirectsAllowed(m_params.maxRedirects);
    QNetworkReply *reply = m_nam->get(req);
    m_active.append(reply);
    // Drop non-HTML bodies as soon as the headers say so, and huge pages at the cap.
    connect(reply, &QNetworkReply::metaDataChanged, reply, [reply] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        // Only successful bodies are judged by type: a 404's text/plain page is an error, not a skip.
        if (status >= 200 && status < 300 && !isHtml(reply->header(QNetworkRequest::ContentTypeHeader).toString())) {
            reply->setProperty("cd_skipped", true);
            reply->abort();
        }
    });
    const qint64 cap = m_params.maxPageBytes;
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply, cap](qint64 got, qint64) {
        if (got > cap) {
            reply->setProperty("cd_too_big", true);
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply, item] {
        reply->deleteLater();
        if (!m_active.removeAll(reply))
            return; // stopped meanwhile
        onPage(reply, item);
        pump();
    });
}

void Crawler::onPage(QNetworkReply *reply, const Item &item)
{
    ++m_pagesDone;
    // Whatever this page turns out to be, it used up a unit of the budget. After the domain
    // check below when it found one, so a page that ends the crawl reports 100 % once.
    const auto progressAfter = qScopeGuard([this] { reportProgress(); });
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QUrl finalUrl = normalizeUrl(reply->url());
    m_seen.insert(finalUrl.toString());
    const QString type = reply->header(QNetworkRequest::ContentTypeHeader).toString();
    QJsonObject rec{{QStringLiteral("url"), item.url.toString()},
                    {QStringLiteral("status"), status},
                    {QStringLiteral("depth"), item.depth},
                    {QStringLiteral("content_type"), type}};
    if (finalUrl != item.url)
        rec.insert(QStringLiteral("final_url"), finalUrl.toString());
    if (reply->property("cd_skipped").toBool()) {
        rec.insert(QStringLiteral("skipped"), QStringLiteral("not HTML"));
        Q_EMIT line(QStringLiteral("[DEBUG] skipped %1: not HTML (%2)").arg(item.url.toString(), type));
        Q_EMIT page(rec);
        return;
    }
    if (reply->property("cd_too_big").toBool() || reply->error() != QNetworkReply::NoError || status < 200 ||
        status >= 300) {
        ++m_errors;
        const QString why = reply->property("cd_too_big").toBool() ? QStringLiteral("page larger than the size cap")
                            : status                               ? QStringLiteral("HTTP %1").arg(status)
                                                                   : reply->errorString();
        rec.insert(QStringLiteral("error"), why);
        if (item.depth == 0)
            m_startFailures.insert(item.url.toString(), why);
        Q_EMIT line(QStringLiteral("[WARNING] %1: %2").arg(item.url.toString(), why));
        Q_EMIT page(rec);
        return;
    }
    ++m_pagesFetched;
    const QString domain = domainOf(finalUrl);
    m_pagesPerDomain[domain] += 1;
    const HtmlPage html = HtmlPage::parse(reply->readAll(), type, finalUrl);
    const QStringList found = m_matcher.matches(html.title + u' ' + html.text);
    rec.insert(QStringLiteral("title"), html.title);
    rec.insert(QStringLiteral("matched_keywords"), QJsonArray::fromStringList(found));
    rec.insert(QStringLiteral("links"), html.links.size());
    Q_EMIT line(QStringLiteral("[DEBUG] %1 %2 (depth %3, %4 links, %5)")
                    .arg(status)
                    .arg(finalUrl.toString())
                    .arg(item.depth)
                    .arg(html.links.size())
                    .arg(html.charset));
    Q_EMIT page(rec);
    if (!found.isEmpty() && !m_hits.contains(domain) && m_hits.size() < m_params.domainCount) {
        m_hits.insert(domain, DomainHit{domain, finalUrl, found, html.title, 0});
        m_hitOrder << domain;
        const int n = static_cast<int>(m_hits.size());
        Q_EMIT line(QStringLiteral("[SUCCESS] found %1 (%2) at %3")
                        .arg(domain, found.join(QStringLiteral(", ")), finalUrl.toString()));
        reportProgress();
        DomainHit hit = m_hits.value(domain);
        hit.pagesSeen = m_pagesPerDomain.value(domain);
        Q_EMIT domainFound(hit);
        if (n >= m_params.domainCount)
            return stop(QStringLiteral("domain_count"));
    }
    if (item.depth < m_params.maxDepth)
        for (const QUrl &l : html.links)
            enqueue(l, item.depth + 1);
}

void Crawler::reportProgress()
{
    // The larger of the two fractions: a crawl with a page budget moves with its pages even while
    // no domain is found, and one that finds its domains early is done early.
    const auto found = static_cast<int>(m_hits.size());
    const int byPages = static_cast<int>(qint64(m_pagesDone) * 100 / m_params.maxPages);
    const int byDomains = static_cast<int>(qint64(found) * 100 / m_params.domainCount);
    const int percent = qMin(100, qMax(byPages, byDomains));
    if (percent <= m_lastPercent)
        return;
    m_lastPercent = percent;
    Q_EMIT line(QStringLiteral("[INFO] Progress: %1% - %2/%3 domains, %4/%5 pages")
                    .arg(percent)
                    .arg(found)
                    .arg(m_params.domainCount)
                    .arg(m_pagesDone)
                    .arg(m_params.maxPages));
}

void Crawler::finishIfDone()
{
    if (!m_running || !m_active.isEmpty())
        return;
    if (m_pagesStarted >= m_params.maxPages)
        stop(QStringLiteral("page_budget"));
    else if (m_frontier.isEmpty())
        stop(QStringLiteral("frontier_exhausted"));
}

} // namespace cd::crawler
