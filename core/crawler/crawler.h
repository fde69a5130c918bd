#pragma once

#include "crawlparams.h"
#include "htmlpage.h"
#include "robotsrules.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QSet>
#include <QTimer>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace cd::crawler {

struct DomainHit
{
    QString domain;
    QUrl firstUrl;
    QStringList keywords;
    QString title;
    int pagesSeen = 0;
};

// Breadth-first crawl with robots.txt (cached per host, Crawl-delay honoured), a politeness delay
// per host, a global concurrency limit, a page budget and a depth limit. Stops once domainCount
// distinct domains whose pages mention a keyword were found.
class Crawler : public QObject
{
    Q_OBJECT
public:
    Crawler(CrawlParams params, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~Crawler() override;

    void start();
    void stop(const QString &reason);

    QList<DomainHit> hits() const;
    int pagesFetched() const { return m_pagesFetched; }
    // Pages whose fetch ended (fetched, skipped or failed): what the page budget is spent on.
    int pagesDone() const { return m_pagesDone; }
    // The percentage last reported on a Progress line.
    int progress() const { return qMax(0, m_lastPercent); }
    int errors() const { return m_errors; }
    int robotsBlocked() const { return m_robotsBlocked; }
    bool running() const { return m_running; }
    // Why a start URL gave nothing (unreachable host, HTTP error, robots.txt), keyed by URL; what a
    // crawl that fetched no page at all reports as its failure.
    QMap<QString, QString> startFailures() const { return m_startFailures; }

Q_SIGNALS:
    void line(const QString &protocolLine);
    void page(const QJsonObject &record); // one pages.jsonl entry
    void domainFound(const cd::crawler::DomainHit &hit);
    void finished(const QString &stoppedBy);

private:
    struct Item
    {
        QUrl url;
        int depth;
    };
    struct Host
    {
        enum class Robots { Unknown, Fetching, Ready } robots = Robots::Unknown;
        RobotsRules rules;
        QString robotsError; // robots.txt could not be fetched: the host is treated as off limits
        qint64 nextAllowedMs = 0;
    };
    static QString hostKey(const QUrl &u);
    void enqueue(const QUrl &url, int depth);
    void pump();
    void fetchRobots(const QString &key, const QUrl &sample);
    void fetchPage(const Item &item);
    void onPage(QNetworkReply *reply, const Item &item);
    void finishIfDone();
    // A Progress line when the larger of pages/max_pages and domains found/wanted moved on.
    void reportProgress();
    int politenessMs(const Host &h) const;

    CrawlParams m_params;
    QNetworkAccessManager *m_nam;
    KeywordMatcher m_matcher;
    QQueue<Item> m_frontier;
    QSet<QString> m_seen;
    QHash<QString, Host> m_hosts;
    QSet<QString> m_startDomains;
    QList<QPointer<QNetworkReply>> m_active;
    QHash<QString, DomainHit> m_hits;
    QStringList m_hitOrder;
    QHash<QString, int> m_pagesPerDomain;
    QMap<QString, QString> m_startFailures;
    QTimer m_wake;
    QElapsedTimer m_clock;
    int m_pagesStarted = 0;
    int m_pagesFetched = 0;
    int m_pagesDone = 0;
    int m_lastPercent = -1;
    int m_errors = 0;
    int m_robotsBlocked = 0;
    bool m_running = false;
};

} // namespace cd::crawler

Q_DECLARE_METATYPE(cd::crawler::DomainHit)
