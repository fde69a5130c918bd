#pragma once

#include "common/result.h"

#include <QDateTime>
#include <QStringList>

namespace cd::store {

class Database;

// What one purge removed.
struct PurgedJobs
{
    QStringList jobIds;
    qint64 lines = 0;
    qint64 artifacts = 0;
    qint64 chunks = 0; // artifact chunks kept in the database
};

// Deletes finished jobs past the retention period, with their log lines and artifact rows. Jobs in
// any other status are never touched, whatever their age: a queued or running job is still work.
class Retention final
{
public:
    explicit Retention(Database *db);

    // Up to `limit` jobs in a terminal status whose finished_at is before `cutoff`, oldest first, in
    // one transaction: a failure deletes nothing. Lines, artifact chunks and artifact rows are
    // deleted explicitly (not left to ON DELETE CASCADE) so the counts are exact on both dialects.
    Result<PurgedJobs> purge(const QDateTime &cutoff, int limit);
    // Of `ids`, those that are jobs in the database; Unavailable when it cannot be read (never an
    // empty answer that would make every directory look orphaned).
    Result<QStringList> existing(const QStringList &ids);

private:
    Database *m_db;
};

} // namespace cd::store
