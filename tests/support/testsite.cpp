#include "testsite.h"

#include <QHttpServer>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace cdtest {

struct TestSite::Server
{
    QHttpServer http;
};

TestSite::TestSite() = default;
TestSite::~TestSite() = default;

QString TestSite::addHost(int n)
{
    auto server = std::make_shared<Server>();
    const QHostAddress addr(QStringLiteral("127.0.0.%1").arg(n));
    const quint16 port = server->http.listen(addr, 0);
    const QString base = QStringLiteral("http://127.0.0.%1:%2").arg(n).arg(port);
    server->http.setMissingHandler([this, base](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        const QString path = req.url().path() + (req.url().hasQuery() ? u'?' + req.url().query() : QString());
        m_requests[base] << path;
        const auto pages = m_pages.value(base);
        if (!pages.contains(path)) {
            responder.write(QByteArrayLiteral("not found"), QByteArrayLiteral("text/plain"),
                            QHttpServerResponder::StatusCode::NotFound);
            return;
        }
        const Page page = pages.value(path);
        auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
        QPointer<QTcpSocket> socket = held->socket();
        auto answer = [held, socket, page] {
            if (!socket || socket->state() != QAbstractSocket::ConnectedState)
                return;
            const auto status = static_cast<QHttpServerResponder::StatusCode>(page.status);
            if (!page.location.isEmpty())
                held->write({{QByteArrayLiteral("Location"), page.location},
                             {QByteArrayLiteral("Content-Length"), QByteArrayLiteral("0")}},
                            status);
            else
                held->write(page.body, {{QByteArrayLiteral("Content-Type"), page.contentType}}, status);
        };
        if (page.delayMs > 0)
            QTimer::singleShot(page.delayMs, this, answer);
        else
            answer();
    });
    m_servers << server;
    m_bases.insert(n, base);
    return base;
}

void TestSite::setPage(const QString &base, const QString &path, const Page &page)
{
    m_pages[base].insert(path, page);
}

void TestSite::addSlowChain(const QString &base, int count, int delayMs)
{
    for (int i = 0; i < count; ++i) {
        Page p;
        p.delayMs = delayMs;
        p.body = QStringLiteral("<title>p%1</title>%2 <a href=\"/p%3\">next</a>")
                     .arg(i)
                     .arg(i == 1 ? QStringLiteral("solar") : QString())
                     .arg(i + 1)
                     .toUtf8();
        setPage(base, QStringLiteral("/p%1").arg(i), p);
    }
}

QString TestSite::buildStandardWeb()
{
    const QString a = addHost(2), b = addHost(3), c = addHost(4), d = addHost(5);
    auto html = [](const QString &title, const QString &body) {
        Page p;
        p.body = (QStringLiteral("<!doctype html><html><head><title>%1</title></head><body>%2</body></html>")
                      .arg(title, body))
                     .toUtf8();
        return p;
    };
    auto link = [](const QString &href, const QString &text = QStringLiteral("link")) {
        return QStringLiteral("<a href=\"%1\">%2</a> ").arg(href, text);
    };
    Page robotsA;
    robotsA.contentType = "text/plain";
    robotsA.body = "User-agent: *\nDisallow: /private\nCrawl-delay: 0\n";
    setPage(a, QStringLiteral("/robots.txt"), robotsA);
    setPage(a, QStringLiteral("/"),
            html(QStringLiteral("Start page"),
                 QStringLiteral("<p>Welcome to the solarium.</p><script>var k = 'solar';</script>") +
                     link(QStringLiteral("/about")) + link(QStringLiteral("/private/solar.html")) + link(b + u'/') +
                     link(c + u'/') + link(QStringLiteral("/redirect")) + link(QStringLiteral("/missing")) +
                     link(QStringLiteral("/slow")) + link(QStringLiteral("/file.bin")) + link(QStringLiteral("/loop")) +
                     link(QStringLiteral("latin")) + link(d + u'/') +
                     link(QStringLiteral("mailto:someone@example.com")) + link(QStringLiteral("#top"))));
    setPage(a, QStringLiteral("/about"),
            html(QStringLiteral("About"), QStringLiteral("About us. ") + link(QStringLiteral("/"))));
    setPage(a, QStringLiteral("/private/solar.html"),
            html(QStringLiteral("Private"), QStringLiteral("solar solar solar")));
    Page redirect;
    redirect.status = 301;
    redirect.location = "/target";
    setPage(a, QStringLiteral("/redirect"), redirect);
    setPage(a, QStringLiteral("/target"),
            html(QStringLiteral("Target"), QStringLiteral("Redirect target, nothing to see.")));
    Page slow = html(QStringLiteral("Slow"), QStringLiteral("slow but fine"));
    slow.delayMs = 700;
    setPage(a, QStringLiteral("/slow"), slow);
    Page bin;
    bin.contentType = "application/octet-stream";
    static const char binary[] = "solar \x00\x01\x02 binary";
    bin.body = QByteArray(binary, sizeof binary - 1);
    setPage(a, QStringLiteral("/file.bin"), bin);
    setPage(a, QStringLiteral("/loop"),
            html(QStringLiteral("Loop"),
                 link(QStringLiteral("/loop")) + link(QStringLiteral("/loop#again")) + link(QStringLiteral("./loop"))));
    Page latin;
    latin.contentType = "text/html; charset=iso-8859-1";
    latin.body = QByteArray("<html><head><title>Caf\xe9</title></head><body>Un caf\xe9 au lait.</body></html>");
    setPage(a, QStringLiteral("/latin"), latin);

    setPage(b, QStringLiteral("/"),
            html(QStringLiteral("Panels"), QStringLiteral("Solar panels for everyone. ") + link(a + u'/')));
    setPage(c, QStringLiteral("/"),
            html(QStringLiteral("Farm"), QStringLiteral("Nothing here yet. ") + link(QStringLiteral("/deep"))));
    setPage(c, QStringLiteral("/deep"), html(QStringLiteral("Deep"), QStringLiteral("The SOLAR farm, finally.")));
    Page robotsD;
    robotsD.contentType = "text/plain";
    robotsD.body = "User-agent: *\nDisallow: /\n";
    setPage(d, QStringLiteral("/robots.txt"), robotsD);
    setPage(d, QStringLiteral("/"), html(QStringLiteral("Blocked"), QStringLiteral("solar everywhere")));
    return a + u'/';
}

} // namespace cdtest
