// Artifacts kept in the database in chunks (store::ArtifactChunks, artifacts::ArtifactCopier and
// ChunkDevice), on SQLite and on PostgreSQL.
#include "artifacts/artifactcopier.h"
#include "artifacts/artifactstore.h"
#include "artifacts/chunkdevice.h"
#include "feedprobe.h"
#include "pgcluster.h"
#include "retention/retentionsweeper.h"
#include "store/artifactchunks.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/retention.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <sys/time.h>

using namespace cd;
using store::ArtifactChunks;

namespace {

class ChunksOn : public cdtest::OnEachDialect
{
protected:
    void SetUp() override
    {
        OnEachDialect::SetUp();
        if (IsSkipped() || HasFatalFailure())
            return;
        m_stores = std::make_unique<cdtest::Stores>(location());
        m_files = std::make_unique<artifacts::ArtifactStore>(scratch().filePath(QStringLiteral("data")), &jobs());
        m_files->setNode(QStringLiteral("n1"));
    }
    // Copies into the database with a cap of `maxBytes` (0 = none).
    void copying(qint64 maxBytes = 0)
    {
        ASSERT_TRUE(m_files->copyToDatabase(location(), QStringLiteral("copier"), maxBytes).ok());
    }
    store::JobStore &jobs() { return m_stores->jobs; }
    store::Database &db() { return m_stores->db; }
    artifacts::ArtifactStore &files() { return *m_files; }
    // A file of `size` random bytes in the job's output directory; its bytes.
    QByteArray write(const QString &jobId, const QString &name, qint64 size)
    {
        EXPECT_TRUE(files().prepare(jobId).ok());
        QByteArray bytes(size, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), size / 4);
        QFile f(files().outputDir(jobId) + u'/' + name);
        EXPECT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        return bytes;
    }
    bool copied()
    {
        return cdtest::waitUntil([this] { return files().copier()->idle(); }, 30000);
    }
    QString storage(const QString &jobId, const QString &name)
    {
        const auto a = jobs().artifact(jobId, name);
        return a ? a->storage : QStringLiteral("(none)");
    }
    // Unprepared: QPSQL cannot prepare DDL.
    bool ddl(const QString &sql) { return QSqlQuery(db().db()).exec(sql); }
    qint64 count(const QString &sql, const QVariantList &values = {})
    {
        auto q = db().run(sql, values, "counting");
        return q && q.value().next() ? q.value().value(0).toLongLong() : -1;
    }
    QByteArray readBack(const QString &jobId, const QString &name, qint64 size, qint64 from, qint64 length)
    {
        artifacts::ChunkDevice dev(&jobs(), jobId, name, size);
        EXPECT_TRUE(dev.open(QIODevice::ReadOnly));
        EXPECT_TRUE(dev.seek(from));
        QByteArray out;
        while (out.size() < length) {
            const QByteArray piece = dev.read(qMin<qint64>(length - out.size(), 100000));
            if (piece.isEmpty())
                break;
            out += piece;
        }
        return out;
    }

private:
    std::unique_ptr<cdtest::Stores> m_stores;
    std::unique_ptr<artifacts::ArtifactStore> m_files;
};

} // namespace

INSTANTIATE_TEST_SUITE_P(Dialects, ChunksOn, testing::Values("sqlite", "postgresql"), cdtest::dialectName);

TEST_P(ChunksOn, AFileIsCopiedInChunksAndReadBackFromAnyOffset)
{
    copying();
    const QString id = jobs().insert(model::JobSpec{}).value().id;
    const qint64 size = 2 * ArtifactChunks::kChunkBytes + 524288 + 8;
    const QByteArray bytes = write(id, QStringLiteral("a.bin"), size);
    write(id, QStringLiteral("empty.txt"), 0);
    const auto collected = files().collect(id);
    ASSERT_TRUE(collected.ok());
    EXPECT_EQ(storage(id, QStringLiteral("a.bin")), QStringLiteral("pending")) << "copied after the event loop turns";
    ASSERT_TRUE(copied());
    EXPECT_EQ(storage(id, QStringLiteral("a.bin")), QStringLiteral("database"));
    EXPECT_EQ(storage(id, QStringLiteral("empty.txt")), QStringLiteral("database"));
    EXPECT_EQ(jobs().artifact(id, QStringLiteral("a.bin"))->node, QStringLiteral("n1"));
    EXPECT_EQ(count(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE job_id = ? AND name = 'a.bin'"), {id}),
              3);
    EXPECT_EQ(count(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE name = 'empty.txt'")), 0);

    EXPECT_TRUE(readBack(id, QStringLiteral("a.bin"), size, 0, size) == bytes);
    // Across a chunk boundary, and a read that runs into the end.
    const qint64 edge = ArtifactChunks::kChunkBytes - 5;
    EXPECT_TRUE(readBack(id, QStringLiteral("a.bin"), size, edge, 10) == bytes.mid(edge, 10));
    EXPECT_TRUE(readBack(id, QStringLiteral("a.bin"), size, size - 3, 10) == bytes.right(3));
    EXPECT_TRUE(readBack(id, QStringLiteral("empty.txt"), 0, 0, 10).isEmpty());

    // A rescan of unchanged files keeps the copy as it is.
    ASSERT_TRUE(files().collect(id).ok());
    EXPECT_EQ(storage(id, QStringLiteral("a.bin")), QStringLiteral("database"));
    ASSERT_TRUE(copied());
    EXPECT_EQ(count(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE job_id = ?"), {id}), 3);
}

TEST_P(ChunksOn, AFileOverTheCapStaysOnDiskAndAChangedFileIsCopiedAgain)
{
    copying(1000);
    const QString id = jobs().insert(model::JobSpec{}).value().id;
    write(id, QStringLiteral("big.bin"), 1004);
    write(id, QStringLiteral("small.txt"), 1000);
    ASSERT_TRUE(files().collect(id).ok());
    ASSERT_TRUE(copied());
    EXPECT_EQ(storage(id, QStringLiteral("big.bin")), QStringLiteral("disk"));
    EXPECT_EQ(storage(id, QStringLiteral("small.txt")), QStringLiteral("database"));
    EXPECT_EQ(count(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE name = 'big.bin'")), 0);

    // The file changes after it was recorded: a copy of the new bytes must not be taken for the
    // recorded ones. The copy is refused and the earlier one kept.
    const QByteArray first = readBack(id, QStringLiteral("small.txt"), 1000, 0, 1000);
    const QByteArray second = write(id, QStringLiteral("small.txt"), 1000);
    ASSERT_TRUE(ArtifactChunks(&db()).setStorage({id, QStringLiteral("small.txt")}, QStringLiteral("pending")).ok());
    files().copier()->enqueue({id, QStringLiteral("small.txt")}, files().outputDir(id) + QStringLiteral("/small.txt"));
    ASSERT_TRUE(copied());
    EXPECT_EQ(storage(id, QStringLiteral("small.txt")), QStringLiteral("pending"));
    EXPECT_TRUE(readBack(id, QStringLiteral("small.txt"), 1000, 0, 1000) == first);
    // Recorded again, it is copied again.
    ASSERT_TRUE(files().collect(id).ok());
    ASSERT_TRUE(copied());
    EXPECT_EQ(storage(id, QStringLiteral("small.txt")), QStringLiteral("database"));
    EXPECT_TRUE(readBack(id, QStringLiteral("small.txt"), 1000, 0, 1000) == second);
}

TEST_P(ChunksOn, ACopyThatFailsStaysPendingOnDiskAndIsRetried)
{
    copying();
    const QString id = jobs().insert(model::JobSpec{}).value().id;
    const QByteArray bytes = write(id, QStringLiteral("r.bin"), 1500000);
    write(id, QStringLiteral("gone.bin"), 10);
    // The chunk table goes away under the copier, as a failing database would look to it.
    ASSERT_TRUE(ddl(QStringLiteral("ALTER TABLE artifact_chunks RENAME TO chunks_away")));
    ASSERT_TRUE(files().collect(id).ok());
    ASSERT_TRUE(copied());
    EXPECT_EQ(storage(id, QStringLiteral("r.bin")), QStringLiteral("pending"));
    EXPECT_TRUE(QFile::exists(files().outputDir(id) + QStringLiteral("/r.bin"))) << "the file is never lost";

    ASSERT_TRUE(ddl(QStringLiteral("ALTER TABLE chunks_away RENAME TO artifact_chunks")));
    ASSERT_TRUE(QFile::remove(files().outputDir(id) + QStringLiteral("/gone.bin")));
    files().copier()->retryPending();
    ASSERT_TRUE(copied());
    EXPECT_EQ(storage(id, QStringLiteral("r.bin")), QStringLiteral("database"));
    EXPECT_TRUE(readBack(id, QStringLiteral("r.bin"), bytes.size(), 0, bytes.size()) == bytes);
    // Nothing left to copy: no other node may wait for it.
    EXPECT_EQ(storage(id, QStringLiteral("gone.bin")), QStringLiteral("disk"));
}

TEST_P(ChunksOn, RetentionDeletesTheChunksWithTheirJobAndEveryNodeSweepsItsOrphanedDirectories)
{
    copying();
    store::Retention purger(&db());
    retention::RetentionSweeper sweeper(&purger, &jobs(), &files());
    const QString old = jobs().insert(model::JobSpec{}).value().id;
    const QString kept = jobs().insert(model::JobSpec{}).value().id;
    write(old, QStringLiteral("o.bin"), 2500000);
    write(kept, QStringLiteral("k.bin"), 10);
    ASSERT_TRUE(files().collect(old).ok());
    ASSERT_TRUE(files().collect(kept).ok());
    ASSERT_TRUE(copied());
    ASSERT_TRUE(db().run(QStringLiteral("UPDATE jobs SET status = 'completed', finished_at = ? WHERE id = ?"),
                         {model::isoUtc(QDateTime::currentDateTimeUtc().addDays(-40)), old}, "ageing a job")
                    .ok());
    const auto purged = purger.purge(QDateTime::currentDateTimeUtc().addDays(-30), 10);
    ASSERT_TRUE(purged.ok());
    EXPECT_EQ(purged->jobIds, QStringList{old});
    EXPECT_EQ(purged->chunks, 3);
    EXPECT_EQ(count(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE job_id = ?"), {old}), 0);
    EXPECT_EQ(count(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE job_id = ?"), {kept}), 1);

    // The purge ran elsewhere (another node, the leader): this node's directory of the deleted job
    // is an orphan. Swept when untouched since the cutoff; never when the database cannot say.
    const timeval past[2] = {{QDateTime::currentSecsSinceEpoch() - 10 * 86400, 0},
                             {QDateTime::currentSecsSinceEpoch() - 10 * 86400, 0}};
    for (const QString &id : {old, kept})
        for (const QString &d : QStringList{files().outputDir(id), files().jobDir(id)})
            ASSERT_EQ(::utimes(QFile::encodeName(d).constData(), past), 0);
    EXPECT_FALSE(sweeper.sweepDirectories()) << "retention off: nothing is swept";
    sweeper.setDays(1);
    ASSERT_TRUE(ddl(QStringLiteral("ALTER TABLE jobs RENAME TO jobs_away")));
    ASSERT_TRUE(sweeper.sweepDirectories());
    ASSERT_TRUE(cdtest::waitUntil([&] { return !sweeper.sweepingDirectories(); }, 10000));
    EXPECT_TRUE(QDir(files().jobDir(old)).exists()) << "a database that cannot be read orphans nothing";
    ASSERT_TRUE(ddl(QStringLiteral("ALTER TABLE jobs_away RENAME TO jobs")));
    ASSERT_TRUE(sweeper.sweepDirectories());
    ASSERT_TRUE(cdtest::waitUntil([&] { return !sweeper.sweepingDirectories(); }, 10000));
    EXPECT_FALSE(QDir(files().jobDir(old)).exists());
    EXPECT_TRUE(QDir(files().jobDir(kept)).exists());
    EXPECT_EQ(sweeper.directoriesRemoved(), 1);
}
