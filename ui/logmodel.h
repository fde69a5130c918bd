#pragma once

#include "model/logline.h"

#include <QAbstractListModel>
#include <QHash>
#include <QSet>

#include <functional>

namespace cd::session {
class Session;
}

namespace cd::ui {

// One job's log, virtualised: a job's seqs are gapless (1..n), so row r is seq r+1 and lines are
// asked of the session in blocks on demand, keeping at most kMaxBlocks in memory whatever the
// length. A row whose block has not arrived yet shows a placeholder and is filled (dataChanged)
// when it does. A level filter maps rows to the matching seqs instead. Lines committed later (the
// session's feed, also other nodes' lines) extend the model in seq order.
class LogModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogModel)
public:
    enum Role { LevelRole = Qt::UserRole + 1, SeqRole, MessageRole, PendingRole };
    static constexpr int kBlock = 1024;
    static constexpr int kMaxBlocks = 64;
    static inline const QString kPlaceholder = QStringLiteral("…");
    // A line's tooltip shows it whole up to this length.
    static constexpr int kTooltipChars = 4000;

    explicit LogModel(session::Session *session, QObject *parent = nullptr);

    void setJob(const QString &jobId);
    QString jobId() const { return m_jobId; }
    void setLevelFilter(const QList<model::LogLevel> &levels); // empty = every level
    QList<model::LogLevel> levelFilter() const { return m_levels; }
    void setShowTimestamps(bool on);
    bool showTimestamps() const { return m_timestamps; }
    // False while the rows of the job (or of a new level filter) are being asked for.
    bool isLoaded() const { return !m_loading; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    qint64 seqForRow(int row) const;
    int rowForSeq(qint64 seq) const; // -1 when the seq is not shown
    // The next (or previous) row from `fromRow` whose message contains `text`, or -1; `done` runs
    // when the session has answered (perhaps before this returns).
    void find(const QString &text, int fromRow, bool forward, std::function<void(int row)> done);
    void firstError(std::function<void(int row)> done);
    // The line, or null while its block is on its way (asked for by this call).
    const model::LogLine *lineAt(int row) const;
    int cachedBlocks() const { return static_cast<int>(m_blocks.size()); }
    int blocksInFlight() const { return static_cast<int>(m_inFlight.size()); }

Q_SIGNALS:
    // The rows of the job (or level filter) set last are known.
    void loaded();

private:
    struct Block
    {
        model::LogLines lines;
        quint64 lastUse = 0;
    };
    const model::LogLine *line(qint64 seq) const;
    void request(qint64 block) const;
    void onBlock(quint64 generation, qint64 block, const model::LogLines &lines);
    void onAppended(const QString &jobId, qint64 lastSeq, const model::LogLines &lines);
    void extend(qint64 lastSeq, const model::LogLines &lines);
    void requestTail();
    void appendRows(const QList<qint64> &seqs);
    void reload();

    session::Session *m_session;
    QString m_jobId;
    QList<model::LogLevel> m_levels;
    bool m_timestamps = true;
    quint64 m_generation = 0; // answers to an older job or filter are dropped
    bool m_loading = false;
    model::LogLines m_early; // live lines that came while loading
    qint64 m_earlyLast = 0;
    qint64 m_count = 0;    // highest seq known (unfiltered row count)
    qint64 m_seenUpTo = 0; // filtered: every seq up to here was looked at
    bool m_tailInFlight = false;
    QList<qint64> m_rows;                  // filtered: row -> seq
    mutable QHash<qint64, Block> m_blocks; // block number -> lines
    mutable QSet<qint64> m_inFlight;
    mutable QHash<qint64, model::LogLines> m_stash; // live lines for blocks on their way
    mutable qint64 m_askingBlock = -1;              // the block being asked for: an answer now is inline
    mutable quint64 m_useClock = 0;
};

} // namespace cd::ui
