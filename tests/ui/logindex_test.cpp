// The window's RemoteSession reads a filtered log index by page from a real `crawldeck --headless`:
// each page its own request, the whole index complete and in order, and the log as the first page
// saw it when it grows meanwhile.
#include "headless.h"
#include "session/remotesession.h"
#include "sessions.h"
#include "testutil.h"

#include <QJsonArray>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::await;
using session::Reply;

namespace {

// `lines` lines, `pause` seconds apart: every fourth an ERROR, the one after it a WARNING, the
// rest DEBUG.
QString mixedProfile(const char *name, int lines, const char *pause)
{
    return QStringLiteral("%1=sh -c 'i=0; while [ $i -lt %2 ]; do i=$((i+1)); if [ $((i %% 4)) -eq 0 ]; then echo "
                          "\"[ERROR] e $i\"; elif [ $((i %% 4)) -eq 1 ]; then echo \"[WARNING] w $i\"; else echo "
                          "\"[DEBUG] d $i\"; fi; sleep %3; done'")
        .arg(QLatin1String(name))
        .arg(lines)
        .arg(QLatin1String(pause))
        .replace(QStringLiteral("%%"), QStringLiteral("%"));
}

// The seqs of a job's ERROR and WARNING lines as the server's /logs route pages them.
QList<qint64> serverSeqs(quint16 port, const QString &jobId)
{
    QList<qint64> out;
    qint64 after = 0;
    for (;;) {
        const auto r = cdtest::getJson(port,
                                       "/api/jobs/" + jobId.toUtf8() +
                                           "/logs?level=ERROR,WARNING&limit=10000&after=" + QByteArray::number(after),
                                       cdtest::Headless::kToken);
        const QJsonArray lines = r.json().value(QStringLiteral("lines")).toArray();
        for (const auto &l : lines)
            out << l.toObject().value(QStringLiteral("seq")).toInteger();
        if (lines.isEmpty() || !r.json().value(QStringLiteral("has_more")).toBool())
            return out;
        after = r.json().value(QStringLiteral("next_after")).toInteger();
    }
}

std::unique_ptr<session::RemoteSession> attach(quint16 port)
{
    client::ClientConfig config;
    config.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    config.token = cdtest::Headless::kToken;
    return std::make_unique<session::RemoteSession>(config);
}

QString submit(session::Session &s, const QString &profile)
{
    model::JobSpec spec;
    spec.params.insert(QStringLiteral("profile"), profile);
    const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s.create(spec, c, d); });
    return job && job->ok() ? job->value().id : QString();
}

bool finished(session::Session &s, const QString &id)
{
    return cdtest::waitUntil(
        [&] {
            const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s.job(id, c, d); });
            return job && job->ok() && model::isTerminal(job->value().status);
        },
        30000);
}

const QList<model::LogLevel> kLevels{model::LogLevel::Error, model::LogLevel::Warning};

} // namespace

TEST(RemoteLogIndex, AFilteredIndexOfManyPagesIsCompleteAndInOrder)
{
    QTemporaryDir dir;
    cdtest::Headless server(dir.path(), {QStringLiteral("--local-profile"), mixedProfile("mixed", 90, "0")});
    server.start();
    ASSERT_NE(server.port(), 0) << server.stderrText().toStdString();
    auto s = attach(server.port());
    const QString id = submit(*s, QStringLiteral("mixed"));
    ASSERT_FALSE(id.isEmpty());
    ASSERT_TRUE(finished(*s, id));
    const QList<qint64> expected = serverSeqs(server.port(), id);
    ASSERT_GE(expected.size(), 45); // 22 ERROR + 23 WARNING, and whatever the server adds at those levels

    s->setLogIndexPage(4);
    const auto index =
        await<session::LogIndex>([&](QObject *c, Reply<session::LogIndex> d) { s->logIndex(id, kLevels, c, d); });
    ASSERT_TRUE(index && index->ok()) << (index ? index->error().detail.toStdString() : "no answer");
    EXPECT_EQ(index->value().seqs, expected) << "every page, each seq once, in order";
    EXPECT_GE(index->value().lastSeq, 90);
    const auto whole =
        cdtest::getJson(server.port(), "/api/jobs/" + id.toUtf8() + "/logs/index", cdtest::Headless::kToken);
    EXPECT_EQ(index->value().lastSeq, whole.json().value(QStringLiteral("last_seq")).toInteger());
    // The unfiltered index is the length alone.
    const auto plain =
        await<session::LogIndex>([&](QObject *c, Reply<session::LogIndex> d) { s->logIndex(id, {}, c, d); });
    ASSERT_TRUE(plain && plain->ok());
    EXPECT_TRUE(plain->value().seqs.isEmpty());
    EXPECT_EQ(plain->value().lastSeq, index->value().lastSeq);
}

TEST(RemoteLogIndex, AGrowingLogIsIndexedAsTheFirstPageSawIt)
{
    QTemporaryDir dir;
    cdtest::Headless server(dir.path(), {QStringLiteral("--local-profile"), mixedProfile("slow", 400, "0.01")});
    server.start();
    ASSERT_NE(server.port(), 0) << server.stderrText().toStdString();
    auto s = attach(server.port());
    const QString id = submit(*s, QStringLiteral("slow"));
    ASSERT_FALSE(id.isEmpty());
    ASSERT_TRUE(cdtest::waitUntil([&] { return serverSeqs(server.port(), id).size() >= 20; }, 20000));

    s->setLogIndexPage(3);
    const auto index =
        await<session::LogIndex>([&](QObject *c, Reply<session::LogIndex> d) { s->logIndex(id, kLevels, c, d); });
    ASSERT_TRUE(index && index->ok()) << (index ? index->error().detail.toStdString() : "no answer");
    const qint64 last = index->value().lastSeq;
    ASSERT_TRUE(finished(*s, id));
    QList<qint64> expected;
    for (qint64 seq : serverSeqs(server.port(), id))
        if (seq <= last)
            expected << seq;
    EXPECT_GE(expected.size(), 20);
    EXPECT_EQ(index->value().seqs, expected) << "up to the first page's last_seq, none missing, none past it";
}
