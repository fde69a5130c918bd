#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>

class QHttpServer;

namespace cdtest {

// A small web of sites on several loopback addresses (127.0.0.2, 127.0.0.3, ...), served by the
// test process itself: pages across hosts, keyword pages, robots.txt rules, a redirect, a 404, a
// slow page, a binary file, a link loop and a Latin-1 page.
class TestSite : public QObject
{
    Q_OBJECT
public:
    struct Page
    {
        int status = 200;
        QByteArray contentType = "text/html; charset=utf-8";
        QByteArray body;
        int delayMs = 0;
        QByteArray location; // for redirects
    };

    TestSite();
    ~TestSite() override;

    // Starts a host on 127.0.0.<n>; returns its base URL (http://127.0.0.n:port).
    QString addHost(int n);
    void setPage(const QString &base, const QString &path, const Page &page);
    // A chain of `count` pages /p0 -> /p1 -> ... on `base`, each answered after `delayMs`, with the
    // keyword "solar" on /p1: a crawl that is still busy a while after it starts.
    void addSlowChain(const QString &base, int count, int delayMs);
    QStringList requestedPaths(const QString &base) const { return m_requests.value(base); }
    // The standard web used by the crawler tests; returns the start URL.
    QString buildStandardWeb();
    QString host(int n) const { return m_bases.value(n); }

private:
    struct Server;
    QList<std::shared_ptr<Server>> m_servers;
    QHash<int, QString> m_bases;
    QHash<QString, QHash<QString, Page>> m_pages;
    QHash<QString, QStringList> m_requests;
};

} // namespace cdtest
