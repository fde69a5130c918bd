#include "logmodel.h"

#include "colours.h"
#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "store/logstore.h"

#include <QBrush>
#include <QColor>

#include <algorithm>

namespace cd::ui {

using model::LogLevel;

LogModel::LogModel(store::LogStore *store, logs::LogBus *bus, QObject *parent)
    : QAbstractListModel(parent), m_store(store)
{
    connect(bus->feed(), &feed::ChangeFeed::linesCommitted, this, &LogModel::onLines);
}

void LogModel::setJob(const QString &jobId)
{
    m_jobId = jobId;
    reload();
}

void LogModel::setLevelFilter(const QList<LogLevel> &levels)
{
    m_levels = levels;
    reload();
}

void LogModel::setShowTimestamps(bool on)
{
    if (m_timestamps == on)
        return;
    m_timestamps = on;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0), index(rowCount() - 1), {Qt::DisplayRole});
}

void LogModel::reload()
{
    beginResetModel();
    m_blocks.clear();
    m_rows.clear();
    m_count = 0;
    if (!m_jobId.isEmpty()) {
        m_store->flush();
        m_count = m_store->lastSeq(m_jobId);
        if (!m_levels.isEmpty())
            m_rows = m_store->seqsAtLevels(m_jobId, m_levels);
    }
    endResetModel();
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return static_cast<int>(m_levels.isEmpty() ? m_count : m_rows.size());
}

qint64 LogModel::seqForRow(int row) const
{
    if (row < 0 || row >= rowCount())
        return 0;
    return m_levels.isEmpty() ? row + 1 : m_rows.at(row);
}

int LogModel::rowForSeq(qint64 seq) const
{
    if (seq <= 0)
        return -1;
    if (m_levels.isEmpty())
        return seq <= m_count ? static_cast<int>(seq - 1) : -1;
    const auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), seq);
    return it != m_rows.cend() && *it == seq ? static_cast<int>(it - m_rows.cbegin()) : -1;
}

const model::LogLine *LogModel::line(qint64 seq) const
{
    const qint64 block = (seq - 1) / kBlock;
    auto it = m_blocks.find(block);
    if (it == m_blocks.end()) {
        if (m_blocks.size() >= kMaxBlocks) {
            // Evict the least recently used block.
            auto oldest = m_blocks.begin();
            for (auto b = m_blocks.begin(); b != m_blocks.end(); ++b)
                if (b->lastUse < oldest->lastUse)
                    oldest = b;
            m_blocks.erase(oldest);
        }
        Block b;
        b.lines = m_store->lines(store::LogQuery{m_jobId, block * kBlock, kBlock, {}, {}});
        it = m_blocks.insert(block, b);
    }
    it->lastUse = ++m_useClock;
    const qint64 offset = seq - 1 - block * kBlock;
    return offset < it->lines.size() ? &it->lines.at(offset) : nullptr;
}

const model::LogLine *LogModel::lineAt(int row) const
{
    const qint64 seq = seqForRow(row);
    return seq > 0 ? line(seq) : nullptr;
}

void LogModel::onLines(const QString &jobId, const model::LogLines &lines)
{
    if (jobId != m_jobId || lines.isEmpty())
        return;
    // Keep a loaded tail block current so it never needs a re-read.
    for (const auto &l : lines) {
        auto it = m_blocks.find((l.seq - 1) / kBlock);
        if (it != m_blocks.end() && it->lines.size() == (l.seq - 1) % kBlock)
            it->lines.append(l);
    }
    const qint64 newCount = qMax(m_count, lines.last().seq);
    if (m_levels.isEmpty()) {
        if (newCount > m_count) {
            beginInsertRows({}, static_cast<int>(m_count), static_cast<int>(newCount - 1));
            m_count = newCount;
            endInsertRows();
        }
        return;
    }
    m_count = newCount;
    QList<qint64> fresh;
    for (const auto &l : lines)
        if (m_levels.contains(l.level) && (m_rows.isEmpty() || l.seq > m_rows.last()))
            fresh.append(l.seq);
    if (fresh.isEmpty())
        return;
    beginInsertRows({}, static_cast<int>(m_rows.size()), static_cast<int>(m_rows.size() + fresh.size() - 1));
    m_rows.append(fresh);
    endInsertRows();
}

int LogModel::find(const QString &text, int fromRow, bool forward) const
{
    if (text.isEmpty() || m_jobId.isEmpty())
        return -1;
    const qint64 from = fromRow < 0 ? (forward ? 0 : m_count + 1) : seqForRow(fromRow);
    return rowForSeq(m_store->findSeq(m_jobId, from, text, forward, m_levels));
}

int LogModel::firstError() const
{
    if (m_jobId.isEmpty())
        return -1;
    const auto errors = m_store->lines(store::LogQuery{m_jobId, 0, 1, {LogLevel::Error}, {}});
    return errors.isEmpty() ? -1 : rowForSeq(errors.first().seq);
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    if (role == SeqRole)
        return seqForRow(index.row());
    if (role != Qt::DisplayRole && role != Qt::ForegroundRole && role != LevelRole && role != MessageRole &&
        role != Qt::ToolTipRole)
        return {};
    const model::LogLine *l = lineAt(index.row());
    if (!l)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        return m_timestamps ? QString(l->ts.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")) +
                                      QStringLiteral("  ") + l->message)
                            : l->message;
    case MessageRole: return l->message;
    case LevelRole: return static_cast<int>(l->level);
    case Qt::ForegroundRole: {
        const QColor c = levelColour(l->level);
        return c.isValid() ? QVariant(QBrush(c)) : QVariant();
    }
    case Qt::ToolTipRole:
        return QStringLiteral("#%1 · %2 · %3 · %4")
            .arg(l->seq)
            .arg(model::toString(l->level), model::toString(l->source),
                 l->ts.toLocalTime().toString(Qt::ISODateWithMs));
    default: break;
    }
    return {};
}

} // namespace cd::ui
