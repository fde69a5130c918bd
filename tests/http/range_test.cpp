// Byte ranges of artifacts served from this node's disk (one node on SQLite: no database copy).
#include "stack.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>

#include <gtest/gtest.h>

using cd::model::JobStatus;
using cdtest::Stack;
using cdtest::StackOptions;

namespace {

const QByteArray kAuth = "Bearer " + Stack::kToken;

class ArtifactRanges : public testing::Test
{
protected:
    static constexpr qint64 kSize = 300000;

    void SetUp() override
    {
        st = std::make_unique<Stack>(StackOptions().withProfiles(
            {{QStringLiteral("writer"),
              QStringLiteral("sh -c 'head -c %1 /dev/urandom > r.bin; : > empty.txt'").arg(kSize)}}));
        const auto created = cdtest::postJson(
            st->port(), "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("writer")}}, Stack::kToken);
        ASSERT_EQ(created.status, 201) << created.body.toStdString();
        id = created.json().value(QStringLiteral("id")).toString();
        ASSERT_TRUE(cdtest::waitUntil([&] { return st->jobs->job(id)->status == JobStatus::Completed; }, 10000));
        QFile f(st->artifacts->outputDir(id) + QStringLiteral("/r.bin"));
        ASSERT_TRUE(f.open(QIODevice::ReadOnly));
        bytes = f.readAll();
        ASSERT_EQ(bytes.size(), kSize);
        path = "/api/jobs/" + id.toUtf8() + "/artifacts/r.bin";
    }

    cdtest::HttpResponse get(const cdtest::HeaderList &extra, const QByteArray &method = "GET",
                             const QByteArray &name = "r.bin") const
    {
        return cdtest::request(st->port(), method, "/api/jobs/" + id.toUtf8() + "/artifacts/" + name, {},
                               cdtest::HeaderList{{"Authorization", kAuth}} + extra);
    }

    std::unique_ptr<Stack> st;
    QString id;
    QByteArray bytes;
    QByteArray path;
};

} // namespace

TEST_F(ArtifactRanges, OneRangeIsAPartialAnswerWithItsExactBytes)
{
    const auto whole = get({});
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.headers.value("accept-ranges"), "bytes");
    const QByteArray sha = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    EXPECT_EQ(whole.headers.value("etag"), '"' + sha + '"');
    EXPECT_TRUE(whole.body == bytes);
    struct Case
    {
        QByteArray range;
        qint64 first, last;
    };
    for (const Case &c :
         {Case{"bytes=0-0", 0, 0}, Case{"bytes=100-199", 100, 199}, Case{"bytes=299990-", 299990, 299999},
          Case{"bytes=-7", 299993, 299999}, Case{"bytes=5-999999", 5, 299999}, Case{"bytes=-400000", 0, 299999},
          Case{"BYTES=10-11", 10, 11}}) {
        const auto r = get({{"Range", c.range}});
        EXPECT_EQ(r.status, 206) << c.range.toStdString();
        EXPECT_EQ(r.headers.value("content-range"),
                  "bytes " + QByteArray::number(c.first) + '-' + QByteArray::number(c.last) + "/300000")
            << c.range.toStdString();
        EXPECT_EQ(r.headers.value("content-length").toLongLong(), c.last - c.first + 1);
        EXPECT_TRUE(r.body == bytes.mid(c.first, c.last - c.first + 1)) << c.range.toStdString();
        EXPECT_EQ(r.headers.value("accept-ranges"), "bytes");
        EXPECT_TRUE(r.headers.value("content-disposition").contains("r.bin"));
    }
    // HEAD with a range: the partial answer's headers, no body.
    const auto head = get({{"Range", "bytes=10-19"}}, "HEAD");
    EXPECT_EQ(head.status, 206);
    EXPECT_EQ(head.headers.value("content-length"), "10");
    EXPECT_EQ(head.headers.value("content-range"), "bytes 10-19/300000");
    EXPECT_TRUE(head.body.isEmpty());
}

TEST_F(ArtifactRanges, IfRangeResumesOnlyTheSameBytes)
{
    const QByteArray etag = get({}, "HEAD").headers.value("etag");
    ASSERT_FALSE(etag.isEmpty());
    const auto resumed = get({{"Range", "bytes=299000-"}, {"If-Range", etag}});
    EXPECT_EQ(resumed.status, 206);
    EXPECT_TRUE(resumed.body == bytes.mid(299000));
    // Another tag, a weak one or a date: the client's part may be of other bytes, so all of them.
    for (const QByteArray &other :
         QByteArrayList{QByteArray("\"abc\""), "W/" + etag, QByteArray("Sun, 06 Nov 1994 08:49:37 GMT")}) {
        const auto r = get({{"Range", "bytes=299000-"}, {"If-Range", other}});
        EXPECT_EQ(r.status, 200) << other.toStdString();
        EXPECT_EQ(r.body.size(), kSize) << other.toStdString();
        EXPECT_FALSE(r.headers.contains("content-range"));
    }
}

TEST_F(ArtifactRanges, ARangePastTheEndIs416WithTheSize)
{
    for (const QByteArray &range : {QByteArray("bytes=300000-"), QByteArray("bytes=999999-1000000"),
                                    QByteArray("bytes=-0"), QByteArray("bytes=99999999999999999999999-")}) {
        const auto r = get({{"Range", range}});
        EXPECT_EQ(r.status, 416) << range.toStdString();
        EXPECT_EQ(r.headers.value("content-range"), "bytes */300000") << range.toStdString();
        EXPECT_EQ(r.json().value(QStringLiteral("error")), QStringLiteral("range_not_satisfiable"));
    }
    // An empty file has no byte to start at.
    const auto empty = get({{"Range", "bytes=0-"}}, "GET", "empty.txt");
    EXPECT_EQ(empty.status, 416);
    EXPECT_EQ(empty.headers.value("content-range"), "bytes */0");
    const auto whole = get({}, "GET", "empty.txt");
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.headers.value("content-length"), "0");
}

TEST_F(ArtifactRanges, AnAmbiguousOrMalformedRangeIs400AndTheConnectionCloses)
{
    const QList<QByteArray> bad{"bytes=0-1,3-4", "bytes=0-1, 3-4", "bytes=5-1", "bytes=a-b",  "bytes=-",
                                "bytes 0-1",     "items=0-1",      "bytes=1",   "bytes=+1-2", "bytes=0x1-2"};
    for (const QByteArray &range : bad) {
        // Kept alive, with a request pipelined behind it: nothing after the 400 is answered.
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), st->port());
        ASSERT_TRUE(cdtest::waitUntil([&] { return s.state() == QAbstractSocket::ConnectedState; }));
        s.write("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + kAuth + "\r\nRange: " + range +
                "\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray got;
        bool closed = false;
        QObject ctx;
        QObject::connect(&s, &QTcpSocket::readyRead, &ctx, [&] { got += s.readAll(); });
        QObject::connect(&s, &QTcpSocket::disconnected, &ctx, [&] { closed = true; });
        EXPECT_TRUE(cdtest::waitUntil([&] { return closed; }, 5000)) << range.toStdString();
        got += s.readAll();
        EXPECT_TRUE(got.startsWith("HTTP/1.1 400")) << range.toStdString() << ": " << got.left(200).toStdString();
        EXPECT_EQ(got.count("HTTP/1.1 "), 1) << range.toStdString();
        EXPECT_TRUE(got.contains("Connection: close")) << range.toStdString();
        EXPECT_TRUE(got.contains("\"error\":\"invalid_argument\"")) << range.toStdString();
    }
    // Two Range headers: which one counts is not ours to guess.
    const auto twice = get({{"Range", "bytes=0-1"}, {"Range", "bytes=0-1"}});
    EXPECT_EQ(twice.status, 400);
    EXPECT_TRUE(twice.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("more than once")));
}
