#pragma once

#include "model/logline.h"

#include <QAbstractListModel>
#include <QHash>

namespace cd::store {
class LogStore;
}
namespace cd::logs {
class LogBus;
}
namespace cd::feed {
class ChangeFeed;
}

namespace cd::ui {

// One job's log, virtualised: a job's seqs are gapless (1..n), so row r is seq r+1 and lines are
// read from the store in blocks on demand, keeping at most kMaxBlocks in memory whatever the
// length. A level filter maps rows to the matching seqs instead. Lines committed later (the change
// feed, also other nodes' lines) extend the model.
class LogModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role { LevelRole = Qt::UserRole + 1, SeqRole, MessageRole };
    static constexpr int kBlock = 1024;
    static constexpr int kMaxBlocks = 64;

    LogModel(store::LogStore *store, logs::LogBus *bus, QObject *parent = nullptr);

    void setJob(const QString &jobId);
    QString jobId() const { return m_jobId; }
    void setLevelFilter(const QList<model::LogLevel> &levels); // empty = every level
    QList<model::LogLevel> levelFilter() const { return m_levels; }
    void setShowTimestamps(bool on);
    bool showTimestamps() const { return m_timestamps; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    qint64 seqForRow(int row) const;
    int rowForSeq(qint64 seq) const; // -1 when the seq is not shown
    // The next (or previous) row from `fromRow` whose message contains `text`; -1 if none.
    int find(const QString &text, int fromRow, bool forward) const;
    int firstError() const;
    const model::LogLine *lineAt(int row) const;
    int cachedBlocks() const { return static_cast<int>(m_blocks.size()); }

private:
    struct Block
    {
        model::LogLines lines;
        quint64 lastUse = 0;
    };
    const model::LogLine *line(qint64 seq) const;
    void onLines(const QString &jobId, const model::LogLines &lines);
    void reload();

    store::LogStore *m_store;
    QString m_jobId;
    QList<model::LogLevel> m_levels;
    bool m_timestamps = true;
    qint64 m_count = 0;                    // highest seq known (unfiltered row count)
    QList<qint64> m_rows;                  // filtered: row -> seq
    mutable QHash<qint64, Block> m_blocks; // block number -> lines
    mutable quint64 m_useClock = 0;
};

} // namespace cd::ui
