// The answer side of framing over real sockets: file answers (artifacts) follow the same connection
// rules as every other answer, the listener's own refusals speak the API's error names, and the bytes
// the listener buffers for all clients together stay within one budget.
#include "http/guardedtcpserver.h"
#include "stack.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {

const QByteArray kAuth = "Authorization: Bearer " + Stack::kToken + "\r\n";
const QByteArray kHealth = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr qint64 kBigSize = 3 * 1024 * 1024 + 17; // well past the socket buffers on both sides

// Everything received on one connection until the server closes it or `done` holds.
struct Conversation
{
    QByteArray bytes;
    bool closed = false;
};

Conversation converse(quint16 port, const QByteArray &send, const std::function<bool(const QByteArray &)> &done,
                      int waitMs = 5000, bool tls = false)
{
    Conversation c;
    QSslSocket s;
    if (tls) {
        s.setPeerVerifyMode(QSslSocket::VerifyNone); // self-signed for the test
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        if (!cdtest::waitUntil([&] { return s.isEncrypted(); }, 5000))
            return c;
    } else {
        s.connectToHost(QStringLiteral("127.0.0.1"), port);
        if (!s.waitForConnected(3000))
            return c;
    }
    QObject ctx;
    QObject::connect(&s, &QTcpSocket::readyRead, &ctx, [&] { c.bytes += s.readAll(); });
    QObject::connect(&s, &QTcpSocket::disconnected, &ctx, [&] { c.closed = true; });
    s.write(send);
    cdtest::waitUntil([&] { return c.closed || done(c.bytes); }, waitMs);
    c.bytes += s.readAll();
    return c;
}

// The head of the response starting at `pos` (up to the blank line), lower-cased names kept as sent.
QByteArray headAt(const QByteArray &bytes, qsizetype pos)
{
    const qsizetype end = bytes.indexOf("\r\n\r\n", pos);
    return end < 0 ? QByteArray() : bytes.mid(pos, end - pos + 4);
}

qint64 contentLength(const QByteArray &head)
{
    for (const QByteArray &line : head.split('\n'))
        if (line.toLower().startsWith("content-length:"))
            return line.mid(15).trimmed().toLongLong();
    return -1;
}

// Plain and TLS: the file is pumped into either kind of socket.
class ReplyFraming : public ::testing::TestWithParam<bool>
{
protected:
    void SetUp() override
    {
        StackOptions options;
        if (GetParam()) {
            QString cert, key;
            if (!cdtest::makeTestCertificate(m_dir.path(), &cert, &key))
                GTEST_SKIP() << "\n\n*** SKIPPED: openssl is missing; TLS was NOT exercised ***\n";
            options.tls(cert, key);
        }
        const QString writer = QStringLiteral("sh -c 'printf \"hello\\n\" > a.txt; head -c %1 /dev/zero | tr "
                                              "\"\\\\0\" x > big.bin'")
                                   .arg(kBigSize);
        st = std::make_unique<Stack>(options.withProfiles({{QStringLiteral("writer"), writer}}));
        const QByteArray create = R"({"profile":"writer","kind":"export"})";
        const auto created =
            say("POST /api/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + kAuth +
                "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(create.size()) + "\r\n\r\n" +
                create);
        ASSERT_TRUE(created.bytes.startsWith("HTTP/1.1 201")) << created.bytes.toStdString();
        const QByteArray json = created.bytes.mid(created.bytes.indexOf("\r\n\r\n") + 4);
        id = QJsonDocument::fromJson(json).object().value(QStringLiteral("id")).toString().toUtf8();
        ASSERT_TRUE(cdtest::waitUntil(
            [&] { return st->jobs->job(QString::fromUtf8(id))->status == JobStatus::Completed; }, 10000));
    }

    QByteArray artifact(const QByteArray &method, const QByteArray &name, const QByteArray &version = "HTTP/1.1",
                        const QByteArray &extra = {}) const
    {
        return method + " /api/jobs/" + id + "/artifacts/" + name + ' ' + version + "\r\nHost: x\r\n" + kAuth + extra +
               "\r\n";
    }

    Conversation say(const QByteArray &send, const std::function<bool(const QByteArray &)> &done = {},
                     int waitMs = 5000) const
    {
        return converse(
            st->port(), send, done ? done : [](const QByteArray &) { return false; }, waitMs, GetParam());
    }

    QTemporaryDir m_dir;
    std::unique_ptr<Stack> st;
    QByteArray id;
};

TEST_P(ReplyFraming, ArtifactHeadHasNoBodyAndThePipelinedRequestAfterItIsAnsweredRight)
{
    const auto c = say(artifact("HEAD", "a.txt") + kHealth,
                       [](const QByteArray &b) { return b.count("HTTP/1.1 200") >= 2 && b.endsWith("}"); });
    const QByteArray first = headAt(c.bytes, 0);
    ASSERT_TRUE(first.startsWith("HTTP/1.1 200")) << c.bytes.toStdString();
    EXPECT_EQ(contentLength(first), 6) << "the length the GET body would have";
    EXPECT_TRUE(first.contains("X-Content-Type-Options: nosniff")) << first.toStdString();
    EXPECT_TRUE(first.contains("Cache-Control: no-store")) << first.toStdString();
    EXPECT_TRUE(first.contains("Content-Disposition: attachment")) << first.toStdString();
    // No body: the next bytes are the answer to /health, not "hello\n".
    const QByteArray second = headAt(c.bytes, first.size());
    EXPECT_TRUE(second.startsWith("HTTP/1.1 200")) << c.bytes.toStdString();
    EXPECT_TRUE(c.bytes.mid(first.size() + second.size()).startsWith("{")) << c.bytes.toStdString();
    EXPECT_FALSE(c.bytes.contains("hello"));
    EXPECT_FALSE(c.closed);
}

TEST_P(ReplyFraming, Http10ArtifactGetClosesAfterTheBody)
{
    const auto c = say(artifact("GET", "a.txt", "HTTP/1.0"));
    EXPECT_TRUE(c.closed) << "HTTP/1.0 without keep-alive must close";
    const QByteArray head = headAt(c.bytes, 0);
    ASSERT_TRUE(head.startsWith("HTTP/1.1 200")) << c.bytes.toStdString();
    EXPECT_TRUE(head.contains("Connection: close")) << head.toStdString();
    EXPECT_EQ(c.bytes.mid(head.size()), "hello\n");
}

TEST_P(ReplyFraming, ConnectionCloseOnAnArtifactClosesAndNothingAfterItRuns)
{
    const auto c = say(artifact("GET", "a.txt", "HTTP/1.1", "Connection: close\r\n") + kHealth);
    EXPECT_TRUE(c.closed);
    EXPECT_EQ(c.bytes.count("HTTP/1.1 "), 1) << c.bytes.toStdString();
    EXPECT_TRUE(c.bytes.endsWith("\r\n\r\nhello\n")) << c.bytes.toStdString();
}

TEST_P(ReplyFraming, PipeliningAfterALargeArtifactDownloadWorks)
{
    const auto c = say(
        artifact("GET", "big.bin") + artifact("HEAD", "big.bin") + artifact("GET", "a.txt") + kHealth,
        [](const QByteArray &b) { return b.count("HTTP/1.1 200") >= 4 && b.endsWith("}"); }, 15000);
    const QByteArray h1 = headAt(c.bytes, 0);
    ASSERT_TRUE(h1.startsWith("HTTP/1.1 200")) << h1.toStdString();
    ASSERT_EQ(contentLength(h1), kBigSize);
    const QByteArray body = c.bytes.mid(h1.size(), kBigSize);
    EXPECT_EQ(body.count('x'), kBigSize) << "the file arrives whole and unchanged";
    qsizetype pos = h1.size() + kBigSize;
    const QByteArray h2 = headAt(c.bytes, pos);
    ASSERT_TRUE(h2.startsWith("HTTP/1.1 200")) << c.bytes.mid(pos, 200).toStdString();
    EXPECT_EQ(contentLength(h2), kBigSize);
    pos += h2.size(); // HEAD: no body
    const QByteArray h3 = headAt(c.bytes, pos);
    ASSERT_TRUE(h3.startsWith("HTTP/1.1 200")) << c.bytes.mid(pos, 200).toStdString();
    EXPECT_EQ(c.bytes.mid(pos + h3.size(), 6), "hello\n");
    pos += h3.size() + 6;
    EXPECT_TRUE(headAt(c.bytes, pos).startsWith("HTTP/1.1 200")) << c.bytes.mid(pos, 200).toStdString();
    EXPECT_FALSE(c.closed);
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, ReplyFraming, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) { return info.param ? "Tls" : "Plain"; });

// An attacker without credentials must not be able to make the server wait for (and hold) a body.
TEST(ListenerRefusals, ExpectContinueWithoutCredentialsIs401NotContinue)
{
    Stack st;
    const QByteArray head = "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n";
    const auto refused = converse(st.port(), head, [](const QByteArray &) { return false; });
    EXPECT_TRUE(refused.bytes.startsWith("HTTP/1.1 401 Unauthorized\r\n")) << refused.bytes.toStdString();
    EXPECT_TRUE(refused.bytes.contains("WWW-Authenticate: Bearer")) << refused.bytes.toStdString();
    EXPECT_TRUE(refused.bytes.contains("\"error\":\"unauthorized\"")) << refused.bytes.toStdString();
    EXPECT_FALSE(refused.bytes.contains("100 Continue"));
    EXPECT_TRUE(refused.closed);
    // With a credential (checked later by the route) the client is invited to send its body.
    for (const QByteArray &cred : {kAuth, QByteArray("X-API-Key: k\r\n")}) {
        const auto invited = converse(st.port(), head.left(head.size() - 2) + cred + "\r\n",
                                      [](const QByteArray &b) { return b.contains("\r\n\r\n"); });
        EXPECT_TRUE(invited.bytes.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) << invited.bytes.toStdString();
    }
    const auto viaQuery = converse(st.port(), QByteArray(head).replace("/api/jobs ", "/api/jobs?token=t "),
                                   [](const QByteArray &b) { return b.contains("\r\n\r\n"); });
    EXPECT_TRUE(viaQuery.bytes.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) << viaQuery.bytes.toStdString();
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);
}

TEST(ListenerRefusals, UseTheApiErrorNamesStandardPhrasesAndRetryAfter)
{
    http::GuardLimits limits;
    limits.maxConnections = 2;
    Stack st(StackOptions().guard(limits));
    const auto garbage = converse(st.port(), "\x16\x03\x01\x02\x00", [](const QByteArray &) { return false; });
    EXPECT_TRUE(garbage.bytes.startsWith("HTTP/1.1 400 Bad Request\r\n")) << garbage.bytes.toStdString();
    EXPECT_TRUE(garbage.bytes.contains("\"error\":\"invalid_argument\"")) << garbage.bytes.toStdString();
    EXPECT_TRUE(garbage.bytes.contains("X-Content-Type-Options: nosniff"));
    const auto version =
        converse(st.port(), "GET / HTTP/1.2\r\nHost: x\r\n\r\n", [](const QByteArray &) { return false; });
    EXPECT_TRUE(version.bytes.startsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n")) << version.bytes.toStdString();
    const auto method =
        converse(st.port(), "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", [](const QByteArray &) { return false; });
    EXPECT_TRUE(method.bytes.startsWith("HTTP/1.1 501 Not Implemented\r\n")) << method.bytes.toStdString();

    QTcpSocket a, b;
    a.connectToHost(QStringLiteral("127.0.0.1"), st.port());
    b.connectToHost(QStringLiteral("127.0.0.1"), st.port());
    ASSERT_TRUE(a.waitForConnected(3000) && b.waitForConnected(3000));
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.api->listener()->openConnections() == 2; }));
    const auto full = converse(st.port(), kHealth, [](const QByteArray &) { return false; });
    EXPECT_TRUE(full.bytes.startsWith("HTTP/1.1 503 Service Unavailable\r\n")) << full.bytes.toStdString();
    EXPECT_TRUE(full.bytes.contains("\r\nRetry-After: 1\r\n")) << full.bytes.toStdString();
    EXPECT_TRUE(full.bytes.contains("\"error\":\"unavailable\"")) << full.bytes.toStdString();
}

std::atomic<int> g_refusalLines{0};
QtMessageHandler g_previousHandler = nullptr;

void countRefusals(QtMsgType type, const QMessageLogContext &ctx, const QString &msg)
{
    if (ctx.category && qstrcmp(ctx.category, "crawldeck.http.guard") == 0 && msg.startsWith(u"refused"))
        ++g_refusalLines;
    else if (g_previousHandler)
        g_previousHandler(type, ctx, msg);
}

TEST(ListenerRefusals, AFloodOfRefusalsLogsAtMostOneLineASecond)
{
    Stack st;
    g_refusalLines = 0;
    g_previousHandler = qInstallMessageHandler(countRefusals);
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < 40; ++i)
        converse(
            st.port(), "NOT HTTP\r\n\r\n", [](const QByteArray &) { return false; }, 2000);
    const qint64 seconds = t.elapsed() / 1000;
    qInstallMessageHandler(g_previousHandler);
    EXPECT_GE(g_refusalLines.load(), 1);
    EXPECT_LE(g_refusalLines.load(), seconds + 1) << "40 refusals in " << t.elapsed() << " ms";
    EXPECT_EQ(st.api->listener()->rejectedCount(), 40u);
}

// Many clients each sending a large body slowly: what the listener holds for all of them together
// stays within the budget, the server keeps answering, and each request is either served whole or,
// once the budget is spent, refused with 503 and Retry-After; none is left hanging.
TEST(SharedBudget, SlowLargeBodiesOnManyConnectionsStayWithinTheBudget)
{
    constexpr qint64 kBudget = 256 * 1024;
    constexpr int kConnections = 40;
    constexpr qint64 kBody = 60 * 1024;
    constexpr qint64 kHeldBack = 10;
    http::GuardLimits limits;
    limits.maxBufferedBytes = kBudget;
    limits.bodyDeadlineMs = 30000;
    Stack st(StackOptions().guard(limits));
    const http::GuardedTcpServer *listener = st.api->listener();
    // Valid JSON, parsed whole by the handler, refused for its unknown field: nothing is created.
    const QByteArray body = "{\"bogus\":1" + QByteArray(kBody - 11, ' ') + '}';
    const QByteArray head = "POST /api/jobs HTTP/1.1\r\nHost: x\r\n" + kAuth +
                            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(kBody) +
                            "\r\n\r\n";
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    for (int i = 0; i < kConnections; ++i) {
        auto s = std::make_unique<QTcpSocket>();
        s->connectToHost(QStringLiteral("127.0.0.1"), st.port());
        ASSERT_TRUE(s->waitForConnected(3000));
        s->write(head + body.left(kBody - kHeldBack));
        clients.push_back(std::move(s));
    }
    const quint64 rejectedBefore = listener->rejectedCount();
    ASSERT_TRUE(cdtest::waitUntil([&] { return listener->rejectedCount() > rejectedBefore; }, 10000))
        << "buffered " << listener->bufferedBytes();
    cdtest::spin(300);
    EXPECT_LE(listener->peakBufferedBytes(), kBudget);
    EXPECT_GT(listener->bufferedBytes(), kBudget - kBody) << "the budget is used, not left idle";
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200) << "the server answers while the budget is spent";

    for (auto &s : clients)
        s->write(body.right(kHeldBack));
    std::vector<QByteArray> got(clients.size());
    const bool all = cdtest::waitUntil(
        [&] {
            bool done = true;
            for (size_t i = 0; i < clients.size(); ++i) {
                got[i] += clients[i]->readAll();
                done = done && got[i].contains("\r\n\r\n");
            }
            return done;
        },
        20000);
    EXPECT_TRUE(all) << "every client gets an answer";
    int served = 0, refused = 0;
    for (const QByteArray &answer : got) {
        if (answer.startsWith("HTTP/1.1 422")) {
            ++served; // parsed whole by the handler
        } else {
            ++refused;
            EXPECT_TRUE(answer.startsWith("HTTP/1.1 503 Service Unavailable\r\n")) << answer.left(300).toStdString();
            EXPECT_TRUE(answer.contains("\r\nRetry-After: 1\r\n"));
        }
    }
    EXPECT_GE(served, static_cast<int>(kBudget / kBody) - 1) << "as many as fit in the budget are served";
    EXPECT_GT(refused, 0);
    EXPECT_LE(listener->peakBufferedBytes(), kBudget);
    EXPECT_TRUE(cdtest::waitUntil([&] { return listener->bufferedBytes() == 0; }));
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);
}

// More pipelined requests than one connection may buffer (with Qt's read buffer bounded): the
// bytes beyond the cap wait and each request is still answered once, in order.
TEST(SharedBudget, PipelinedRequestsBeyondTheReadCapAreAnsweredInOrder)
{
    constexpr qint64 kBody = 60 * 1024;
    http::GuardLimits limits;
    limits.maxHeaderBytes = 16 * 1024;
    Stack st(StackOptions().bodyCap(64 * 1024).guard(limits));
    const QByteArray body = "{\"bogus\":1" + QByteArray(kBody - 11, ' ') + '}';
    const QByteArray post = "POST /api/jobs HTTP/1.1\r\nHost: x\r\n" + kAuth +
                            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(kBody) +
                            "\r\n\r\n" + body;
    QByteArray send;
    constexpr int kPosts = 6; // ~360 KiB, over twice the per-connection cap
    for (int i = 0; i < kPosts; ++i)
        send += post;
    send += kHealth;
    const auto c = converse(
        st.port(), send, [](const QByteArray &b) { return b.count("HTTP/1.1 ") > kPosts; }, 10000);
    QList<QByteArray> lines;
    for (qsizetype pos = c.bytes.indexOf("HTTP/1.1 "); pos >= 0; pos = c.bytes.indexOf("HTTP/1.1 ", pos + 1))
        lines << c.bytes.mid(pos, 12);
    QList<QByteArray> expected(kPosts, QByteArrayLiteral("HTTP/1.1 422"));
    expected << QByteArrayLiteral("HTTP/1.1 200");
    EXPECT_EQ(lines, expected) << c.bytes.left(2000).toStdString();
    EXPECT_FALSE(c.closed);
}

} // namespace
