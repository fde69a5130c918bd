// HTTP framing (RFC 9112) against hostile clients: the real server over real sockets, plain and TLS.
// Every refusal asserts the exact status (or the exact close), that the server still answers a good
// request on a new connection, and that a log line smuggled behind the refused point was not stored.
#include "framingcases.h"
#include "http/httpframing.h"
#include "stack.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSslSocket>

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using namespace cdtest::framing;

namespace {

constexpr int kHeaderDeadlineMs = 400;
constexpr int kBodyDeadlineMs = 600;
constexpr int kHandshakeDeadlineMs = 600;

http::GuardLimits testLimits()
{
    http::GuardLimits l;
    l.headerDeadlineMs = kHeaderDeadlineMs;
    l.bodyDeadlineMs = kBodyDeadlineMs;
    l.handshakeDeadlineMs = kHandshakeDeadlineMs;
    l.maxHeaderBytes = kHeaderCap;
    return l;
}

StackOptions options()
{
    return StackOptions() // strict authentication, as the product
        .grace(100)
        .bodyCap(kBodyCap)
        .guard(testLimits())
        .withProfiles({{QStringLiteral("crawler"), QStringLiteral("sleep 30")}});
}

// Everything one connection received, and whether and when the server closed it.
struct Exchange
{
    QByteArray bytes;
    bool closed = false;
    qint64 ms = 0;
    bool connected = false;
};

// The statuses of the responses in `bytes`, in order; interim 1xx answers included.
QList<int> statuses(const QByteArray &bytes)
{
    QList<int> out;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype end = bytes.indexOf("\r\n\r\n", pos);
        if (end < 0 || !bytes.mid(pos).startsWith("HTTP/1."))
            break;
        const QByteArray head = bytes.mid(pos, end - pos);
        out << head.mid(9, 3).toInt();
        qint64 length = 0;
        for (const QByteArray &line : head.split('\n'))
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        pos = end + 4 + length;
    }
    return out;
}

int firstStatus(const QByteArray &bytes)
{
    return statuses(bytes).value(0, 0);
}

std::unique_ptr<QTcpSocket> connectTo(quint16 port, bool tls)
{
    if (!tls) {
        auto s = std::make_unique<QTcpSocket>();
        s->connectToHost(QStringLiteral("127.0.0.1"), port);
        s->waitForConnected(3000);
        return s;
    }
    auto s = std::make_unique<QSslSocket>();
    s->setPeerVerifyMode(QSslSocket::VerifyNone); // self-signed for the test
    s->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    cdtest::waitUntil([&] { return s->isEncrypted() || s->state() == QAbstractSocket::UnconnectedState; }, 5000);
    return s;
}

// Sends `parts` (with `gapMs` between them) and collects the answer until the server closes or
// `waitMs` passes.
Exchange exchange(quint16 port, const QList<QByteArray> &parts, bool tls = false, int waitMs = 3000, int gapMs = 0)
{
    Exchange ex;
    auto s = connectTo(port, tls);
    ex.connected = s->state() == QAbstractSocket::ConnectedState;
    if (!ex.connected)
        return ex;
    QObject ctx;
    QObject::connect(s.get(), &QTcpSocket::readyRead, &ctx, [&] { ex.bytes += s->readAll(); });
    QObject::connect(s.get(), &QTcpSocket::disconnected, &ctx, [&] { ex.closed = true; });
    QElapsedTimer t;
    t.start();
    for (const QByteArray &p : parts) {
        if (ex.closed)
            break;
        s->write(p);
        if (gapMs > 0)
            cdtest::spin(gapMs);
    }
    cdtest::waitUntil([&] { return ex.closed; }, waitMs);
    ex.ms = t.elapsed();
    ex.bytes += s->readAll();
    return ex;
}

QString startJob(Stack &st, bool tls = false)
{
    const QByteArray body = R"({"domain_count":1,"keywords":["k"],"profile":"crawler"})";
    const Exchange ex = exchange(
        st.port(),
        {"POST /api/crawler/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + kAuth +
         "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body},
        tls);
    EXPECT_EQ(firstStatus(ex.bytes), 200) << ex.bytes.toStdString();
    const QByteArray json = ex.bytes.mid(ex.bytes.indexOf("\r\n\r\n") + 4);
    return QJsonDocument::fromJson(json).object().value(QStringLiteral("job_id")).toString();
}

int storedLines(Stack &st, const QString &jobId, const QString &text)
{
    return static_cast<int>(st.logs->lines(store::LogQuery{jobId, 0, 10000, {}, text}).size());
}

class FramingSuite : public ::testing::TestWithParam<Hostile>
{
public:
    static void SetUpTestSuite()
    {
        s_stack = new Stack(options());
        s_job = startJob(*s_stack);
    }
    static void TearDownTestSuite()
    {
        delete s_stack;
        s_stack = nullptr;
    }

protected:
    static QByteArray smuggled(const QByteArray &message)
    {
        return logRequest(s_job, s_stack->auth->jobToken(s_job).toUtf8(), message);
    }
    static inline Stack *s_stack = nullptr;
    static inline QString s_job;
};

TEST_P(FramingSuite, RefusedExactlyAndNothingRuns)
{
    Stack &st = *s_stack;
    const Hostile &c = GetParam();
    QByteArray raw = c.raw;
    raw.replace(kSmuggle, smuggled("SMUGGLED " + QByteArray(c.name)));
    const Exchange ex = exchange(st.port(), {raw});
    ASSERT_TRUE(ex.connected);
    EXPECT_EQ(firstStatus(ex.bytes), c.status) << ex.bytes.left(300).toStdString();
    EXPECT_EQ(statuses(ex.bytes).size(), c.status ? 1 : 0) << "exactly one answer: " << ex.bytes.toStdString();
    EXPECT_TRUE(ex.closed) << "a refusal closes the connection";
    if (c.status != 0) {
        EXPECT_TRUE(ex.bytes.contains("\r\nConnection: close\r\n"));
    }
    if (c.fast) {
        EXPECT_LT(ex.ms, kHeaderDeadlineMs / 2) << "refused at once, not at the header deadline";
    }
    // The server is still up, and the smuggled request was never run.
    const auto health = cdtest::getJson(st.port(), "/health", Stack::kToken);
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(storedLines(st, s_job, QStringLiteral("SMUGGLED")), 0);
}

// The smuggle payload itself is a good request: sent on its own it is stored. Without this the
// suite's "nothing stored" checks could pass for the wrong reason.
TEST_P(FramingSuite, ControlTheSameLinePostedProperlyIsStored)
{
    Stack &st = *s_stack;
    const QByteArray marker = "CONTROL " + QByteArray(GetParam().name);
    const Exchange ex = exchange(st.port(), {smuggled(marker) + kGet + kAuth + "Connection: close\r\n\r\n"});
    EXPECT_EQ(statuses(ex.bytes), (QList<int>{200, 200})) << ex.bytes.toStdString();
    EXPECT_EQ(storedLines(st, s_job, QString::fromLatin1(marker)), 1);
}

INSTANTIATE_TEST_SUITE_P(Hostile, FramingSuite, ::testing::ValuesIn(hostileCases()),
                         [](const ::testing::TestParamInfo<Hostile> &info) { return std::string(info.param.name); });

class Framing : public ::testing::Test
{
protected:
    Stack st{options()};
    QString job = startJob(st);
    QByteArray log(const QByteArray &message) { return logRequest(job, st.auth->jobToken(job).toUtf8(), message); }
    void expectUp() { EXPECT_EQ(cdtest::getJson(st.port(), "/health", Stack::kToken).status, 200); }
};

TEST_F(Framing, PipelinedRequestsAreAnsweredInOrderOnOneConnection)
{
    auto s = connectTo(st.port(), false);
    s->write(kGet + kAuth + "\r\n" + "GET /nope HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n" +
             "GET /metrics HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
    QByteArray got;
    cdtest::waitUntil([&] {
        got += s->readAll();
        return statuses(got).size() == 3;
    });
    EXPECT_EQ(statuses(got), (QList<int>{200, 404, 200})) << got.toStdString();
    EXPECT_TRUE(got.contains("crawldeck_jobs")); // the third answer is the metrics text
    cdtest::spin(100);
    EXPECT_EQ(s->state(), QAbstractSocket::ConnectedState) << "keep-alive stays open";
}

TEST_F(Framing, PipeliningAfterContentLengthAndChunkedBodiesIsFramedExactly)
{
    const QByteArray body = "{\"job_id\":\"" + job.toUtf8() + "\",\"message\":\"PIPE chunked\"}";
    const QByteArray chunkedLog =
        "POST /api/crawler/log HTTP/1.1\r\nHost: x\r\nX-Callback-Token: " + st.auth->jobToken(job).toUtf8() +
        "\r\nTransfer-Encoding: chunked\r\n\r\n" + "5;name=\"v\"\r\n" + body.left(5) + "\r\n" +
        QByteArray::number(body.size() - 5, 16) + "\r\n" + body.mid(5) + "\r\n0\r\n\r\n";
    const Exchange ex =
        exchange(st.port(), {log("PIPE length") + chunkedLog + kGet + kAuth + "Connection: close\r\n\r\n"});
    EXPECT_EQ(statuses(ex.bytes), (QList<int>{200, 200, 200})) << ex.bytes.toStdString();
    EXPECT_TRUE(ex.closed);
    EXPECT_EQ(storedLines(st, job, QStringLiteral("PIPE length")), 1);
    EXPECT_EQ(storedLines(st, job, QStringLiteral("PIPE chunked")), 1);
}

TEST_F(Framing, AGoodRequestPipelinedBeforeARefusedOneInTheSameWriteIsNotRun)
{
    const Exchange ex = exchange(st.port(), {log("BEFORE REFUSAL") + kPost + "Content-Length: x\r\n\r\n"});
    EXPECT_EQ(statuses(ex.bytes), QList<int>{400}) << ex.bytes.toStdString();
    EXPECT_TRUE(ex.closed);
    EXPECT_EQ(storedLines(st, job, QStringLiteral("BEFORE REFUSAL")), 0);
    expectUp();
}

TEST_F(Framing, Http10ClosesAfterTheAnswerUnlessItAskedForKeepAlive)
{
    const Exchange once = exchange(st.port(), {"GET /health HTTP/1.0\r\n" + kAuth + "\r\n"});
    EXPECT_EQ(statuses(once.bytes), QList<int>{200});
    EXPECT_TRUE(once.bytes.contains("\r\nConnection: close\r\n"));
    EXPECT_TRUE(once.closed) << "HTTP/1.0 without keep-alive must not leave the connection open";
    EXPECT_LT(once.ms, 1000);

    auto s = connectTo(st.port(), false);
    const QByteArray keep = "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n" + kAuth + "\r\n";
    s->write(keep);
    QByteArray got;
    cdtest::waitUntil([&] {
        got += s->readAll();
        return statuses(got).size() == 1;
    });
    cdtest::spin(200);
    EXPECT_EQ(s->state(), QAbstractSocket::ConnectedState);
    s->write(keep);
    cdtest::waitUntil([&] {
        got += s->readAll();
        return statuses(got).size() == 2;
    });
    EXPECT_EQ(statuses(got), (QList<int>{200, 200}));
}

// Qt keeps 100 fields and silently drops every field past that while still running the handler,
// Authorization included: 100 must work, 101 must be refused.
TEST_F(Framing, HundredHeadersWorkAndOneMoreIs431)
{
    // Host + 98 fillers + Authorization = 100 fields, Authorization last.
    auto s = connectTo(st.port(), false);
    s->write("GET /metrics HTTP/1.1\r\nHost: x\r\n" + manyHeaders(98) + kAuth + "\r\n");
    QByteArray got;
    cdtest::waitUntil([&] {
        got += s->readAll();
        return statuses(got).size() == 1;
    });
    EXPECT_EQ(statuses(got), QList<int>{200}) << got.left(200).toStdString();
    EXPECT_TRUE(got.contains("crawldeck_jobs")) << "the Authorization field at position 100 was seen";
    const Exchange tooMany =
        exchange(st.port(), {"GET /metrics HTTP/1.1\r\nHost: x\r\n" + manyHeaders(99) + kAuth + "\r\n"});
    EXPECT_EQ(statuses(tooMany.bytes), QList<int>{431});
    EXPECT_TRUE(tooMany.closed);
    expectUp();
}

TEST_F(Framing, ExpectContinueGetsAnInterimAnswerBeforeTheBody)
{
    const QByteArray full = log("AFTER CONTINUE");
    const qsizetype split = full.indexOf("\r\n\r\n");
    auto s = connectTo(st.port(), false);
    s->write(full.left(split) + "\r\nExpect: 100-continue\r\n\r\n");
    QByteArray got;
    ASSERT_TRUE(cdtest::waitUntil([&] {
        got += s->readAll();
        return got.contains("\r\n\r\n");
    }));
    EXPECT_TRUE(got.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) << got.toStdString();
    s->write(full.mid(split + 4));
    cdtest::waitUntil([&] {
        got += s->readAll();
        return statuses(got).size() == 2;
    });
    EXPECT_EQ(statuses(got), (QList<int>{100, 200}));
    EXPECT_EQ(storedLines(st, job, QStringLiteral("AFTER CONTINUE")), 1);
}

TEST_F(Framing, ASlowBodyIsCutAtTheBodyDeadlineEvenIfBytesKeepComing)
{
    // One byte every 100 ms keeps the connection "active" but must not keep it forever.
    const QByteArray head = kPost + "Content-Length: 50\r\n\r\n";
    QList<QByteArray> parts{head};
    for (int i = 0; i < 30; ++i)
        parts << "x";
    const Exchange ex = exchange(st.port(), parts, false, 5000, 100);
    EXPECT_EQ(firstStatus(ex.bytes), 408);
    EXPECT_TRUE(ex.closed);
    EXPECT_LT(ex.ms, kBodyDeadlineMs + 1000) << "closed at the body deadline, not when the client stopped";
    expectUp();
}

// The hand-over to the handler is byte-exact for a body at the cap: the handler parses the whole
// JSON document (a cut or shifted body would be a 400 for malformed JSON, not this 422).
TEST(FramingLarge, ABodyAtTheCapReachesTheHandlerIntact)
{
    constexpr qint64 cap = 8 * 1024 * 1024;
    Stack st(StackOptions().bodyCap(cap).guard(testLimits()));
    const QByteArray body = QByteArray(cap - 2, ' ') + "{}";
    QElapsedTimer t;
    t.start();
    const Exchange ex = exchange(st.port(),
                                 {kPost + "X-API-Key: " + Stack::kCallbackKey +
                                  "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                  QByteArray::number(body.size()) + "\r\n\r\n" + body},
                                 false, 20000);
    EXPECT_EQ(statuses(ex.bytes), QList<int>{422}) << ex.bytes.left(300).toStdString();
    EXPECT_TRUE(ex.bytes.contains("job_id"));
    std::cout << "[ figure   ] 8 MiB body framed and handed over in " << t.elapsed() << " ms\n";
}

TEST_F(Framing, BinaryNoiseOnThePlainPortIsRefusedAtOnce)
{
    const Exchange ex = exchange(st.port(), {QByteArray(1000, '\xff')});
    EXPECT_EQ(firstStatus(ex.bytes), 400);
    EXPECT_LT(ex.ms, kHeaderDeadlineMs / 2);
    expectUp();
}

class TlsFraming : public ::testing::Test
{
protected:
    void SetUp() override
    {
        QString cert, key;
        if (!cdtest::makeTestCertificate(m_dir.path(), &cert, &key))
            GTEST_SKIP() << "\n\n*** SKIPPED: openssl is missing; TLS was NOT exercised ***\n";
        st = std::make_unique<Stack>(options().tls(cert, key));
        job = startJob(*st, true);
    }
    void expectUp()
    {
        const Exchange ex = exchange(st->port(), {kGet + kAuth + "Connection: close\r\n\r\n"}, true);
        EXPECT_EQ(statuses(ex.bytes), QList<int>{200}) << "the TLS listener still serves";
    }
    QByteArray log(const QByteArray &message) { return logRequest(job, st->auth->jobToken(job).toUtf8(), message); }
    QTemporaryDir m_dir;
    std::unique_ptr<Stack> st;
    QString job;
};

TEST_F(TlsFraming, ServesAndPipelinesOverTls)
{
    const Exchange ex = exchange(
        st->port(), {log("TLS LINE") + kGet + kAuth + "\r\n" + kGet + kAuth + "Connection: close\r\n\r\n"}, true);
    EXPECT_EQ(statuses(ex.bytes), (QList<int>{200, 200, 200})) << ex.bytes.toStdString();
    EXPECT_TRUE(ex.closed);
    EXPECT_EQ(storedLines(*st, job, QStringLiteral("TLS LINE")), 1);
}

TEST_F(TlsFraming, HandshakeDeadlineClosesASilentConnection)
{
    QTcpSocket raw;
    raw.connectToHost(QStringLiteral("127.0.0.1"), st->port());
    ASSERT_TRUE(raw.waitForConnected(3000));
    QElapsedTimer t;
    t.start();
    EXPECT_TRUE(cdtest::waitUntil([&] { return raw.state() == QAbstractSocket::UnconnectedState; }, 5000));
    EXPECT_GE(t.elapsed(), kHandshakeDeadlineMs - 100);
    EXPECT_LT(t.elapsed(), kHandshakeDeadlineMs + 1500);
    expectUp();
}

TEST_F(TlsFraming, PlainHttpOnTheTlsPortIsClosedWithoutBeingServed)
{
    const Exchange ex = exchange(st->port(), {log("PLAIN ON TLS")});
    EXPECT_TRUE(ex.closed);
    EXPECT_FALSE(ex.bytes.startsWith("HTTP/")) << "no request was parsed from the plain-text bytes";
    EXPECT_LT(ex.ms, kHandshakeDeadlineMs) << "a failed handshake closes at once";
    EXPECT_EQ(storedLines(*st, job, QStringLiteral("PLAIN ON TLS")), 0);
    expectUp();
}

TEST_F(TlsFraming, HeaderDeadlineAppliesOverTls)
{
    const Exchange ex = exchange(st->port(), {kGet + "X-A: 1\r\n"}, true);
    EXPECT_EQ(statuses(ex.bytes), QList<int>{408});
    EXPECT_TRUE(ex.closed);
    EXPECT_LT(ex.ms, kHeaderDeadlineMs + 1500);
    expectUp();
}

TEST_F(TlsFraming, BodyCapAppliesOverTls)
{
    const Exchange ex =
        exchange(st->port(), {kPost + "Content-Length: " + QByteArray::number(kBodyCap + 1) + "\r\n\r\n"}, true);
    EXPECT_EQ(statuses(ex.bytes), QList<int>{413});
    EXPECT_TRUE(ex.closed);
    expectUp();
}

TEST_F(TlsFraming, SmugglingIsRefusedOverTls)
{
    const Exchange ex = exchange(
        st->port(), {kPost + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + log("TLS SMUGGLED")},
        true);
    EXPECT_EQ(statuses(ex.bytes), QList<int>{400});
    EXPECT_TRUE(ex.closed);
    EXPECT_EQ(storedLines(*st, job, QStringLiteral("TLS SMUGGLED")), 0);
    expectUp();
}

TEST_F(TlsFraming, Http10ClosesOverTls)
{
    const Exchange ex = exchange(st->port(), {"GET /health HTTP/1.0\r\n" + kAuth + "\r\n"}, true);
    EXPECT_EQ(statuses(ex.bytes), QList<int>{200});
    EXPECT_TRUE(ex.closed);
}

// The framer on its own: the verdict cannot depend on how the bytes were split.
struct Verdict
{
    http::RequestFramer::Phase phase;
    int status;
    qsizetype consumed;
};

http::FramingLimits suiteLimits()
{
    http::FramingLimits l;
    l.maxBodyBytes = kBodyCap;
    l.maxHeaderBytes = kHeaderCap;
    return l;
}

Verdict oneGo(const QByteArray &raw)
{
    http::RequestFramer f(suiteLimits());
    const qsizetype n = f.feed(raw);
    return {f.phase(), f.refusal().status, n};
}

Verdict byteByByte(const QByteArray &raw)
{
    http::RequestFramer f(suiteLimits());
    qsizetype n = 0;
    while (n < raw.size() && !f.complete() && !f.refused())
        n += f.feed(raw.constData() + n, 1);
    return {f.phase(), f.refusal().status, n};
}

TEST(RequestFramer, ByteByByteAndInOneGoGiveTheSameVerdict)
{
    http::FramingLimits defaults;
    QList<QByteArray> inputs;
    for (const Hostile &c : hostileCases()) {
        QByteArray raw = c.raw;
        inputs << raw.replace(kSmuggle, logRequest(QStringLiteral("j"), "t", "m"));
    }
    inputs << kGet + "\r\n"
           << logRequest(QStringLiteral("j"), "t", "m")
           << kPost + "Transfer-Encoding: chunked\r\n\r\n3;a=b;c=\"d\"\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n"
           << "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"
           << "GET / HTTP/1.0\r\n\r\n";
    int refused = 0, complete = 0;
    for (const QByteArray &raw : inputs) {
        const Verdict a = oneGo(raw), b = byteByByte(raw);
        EXPECT_EQ(a.phase, b.phase) << raw.left(120).toStdString();
        EXPECT_EQ(a.status, b.status) << raw.left(120).toStdString();
        if (a.phase == http::RequestFramer::Phase::Complete) {
            EXPECT_EQ(a.consumed, b.consumed) << raw.left(120).toStdString();
        }
        refused += a.phase == http::RequestFramer::Phase::Refused;
        complete += a.phase == http::RequestFramer::Phase::Complete;
    }
    EXPECT_EQ(refused, static_cast<int>(hostileCases().size()) - 3); // all but the three deadline cases
    EXPECT_EQ(complete, 5);
    EXPECT_EQ(defaults.maxHeaders, 100);
}

TEST(RequestFramer, StopsExactlyAtTheEndOfAChunkedRequest)
{
    const QByteArray first = kPost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    const QByteArray second = kGet + "\r\n";
    http::RequestFramer f;
    EXPECT_EQ(f.feed(first + second), first.size());
    EXPECT_TRUE(f.complete());
    f.next();
    EXPECT_EQ(f.feed(second), second.size());
    EXPECT_TRUE(f.complete());
    EXPECT_FALSE(f.closeAfter());
}

// The framer is also the parser the handlers see: the target as sent, the fields in order with
// their values trimmed, where the head ends, and a chunked body decoded (chunk data only), the same
// whether the bytes come in one piece or one at a time.
TEST(RequestFramer, KeepsTargetFieldsHeadLengthAndDecodedChunkedBody)
{
    const QByteArray head = "POST /api/crawler/log?token=a%20b HTTP/1.1\r\nHost: x\r\nX-Thing:  spaced \t\r\n"
                            "x-thing: again\r\nTransfer-Encoding: chunked\r\n\r\n";
    const QByteArray raw = head + "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
    for (const qsizetype step : {raw.size(), qsizetype(1), qsizetype(3)}) {
        http::RequestFramer f;
        qsizetype pos = 0;
        while (pos < raw.size() && !f.complete())
            pos += f.feed(raw.constData() + pos, qMin(step, raw.size() - pos));
        ASSERT_TRUE(f.complete()) << step;
        EXPECT_EQ(pos, raw.size());
        EXPECT_EQ(f.method(), "POST");
        EXPECT_EQ(f.target(), "/api/crawler/log?token=a%20b");
        EXPECT_EQ(f.headLength(), head.size());
        ASSERT_EQ(f.fields().size(), 4);
        EXPECT_EQ(f.fields().at(1).first, "X-Thing");
        EXPECT_EQ(f.fields().at(1).second, "spaced");
        EXPECT_EQ(f.fields().at(2).second, "again");
        EXPECT_TRUE(f.chunked());
        EXPECT_EQ(f.takeChunkedBody(), "hello, world");
    }
    // A Content-Length body follows the head: the owner of the bytes slices it there.
    const QByteArray post = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    http::RequestFramer f;
    EXPECT_EQ(f.feed(post), post.size());
    EXPECT_EQ(post.mid(f.headLength()), "abc");
    EXPECT_FALSE(f.chunked());
}

TEST(RequestFramer, CloseAfterFollowsVersionAndConnection)
{
    const auto closeAfter = [](const QByteArray &raw) {
        http::RequestFramer f;
        f.feed(raw);
        EXPECT_TRUE(f.complete()) << raw.toStdString();
        return f.closeAfter();
    };
    EXPECT_TRUE(closeAfter("GET / HTTP/1.0\r\n\r\n"));
    EXPECT_FALSE(closeAfter("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    EXPECT_FALSE(closeAfter("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_TRUE(closeAfter("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n"));
}

} // namespace
