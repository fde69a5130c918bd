#include "logmodel.h"

#include "colours.h"
#include "session/session.h"

#include <QBrush>
#include <QColor>

#include <algorithm>

namespace cd::ui {

using model::LogLevel;

LogModel::LogModel(session::Session *session, QObject *parent) : QAbstractListModel(parent), m_session(session)
{
    connect(m_session, &session::Session::logAppended, this, &LogModel::onAppended);
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
    const quint64 generation = ++m_generation;
    beginResetModel();
    m_blocks.clear();
    m_inFlight.clear();
    m_stash.clear();
    m_rows.clear();
    m_early.clear();
    m_earlyLast = 0;
    m_count = 0;
    m_seenUpTo = 0;
    m_tailInFlight = false;
    m_loading = !m_jobId.isEmpty();
    // An answer that comes before endResetModel() fills the reset; a later one inserts its rows.
    auto resettingNow = std::make_shared<bool>(true);
    if (m_loading)
        m_session->logIndex(m_jobId, m_levels, this, [this, generation, resettingNow](Result<session::LogIndex> r) {
            if (generation != m_generation)
                return;
            const session::LogIndex index = r ? r.value() : session::LogIndex{};
            const qint64 rows = m_levels.isEmpty() ? index.lastSeq : index.seqs.size();
            const bool insert = !*resettingNow && rows > 0;
            if (insert)
                beginInsertRows({}, 0, static_cast<int>(rows - 1));
            m_count = index.lastSeq;
            m_seenUpTo = index.lastSeq;
            m_rows = index.seqs;
            m_loading = false;
            if (insert)
                endInsertRows();
            if (!*resettingNow) {
                extend(std::exchange(m_earlyLast, 0), std::exchange(m_early, {}));
                Q_EMIT loaded();
            }
        });
    *resettingNow = false;
    endResetModel();
    if (!m_loading) {
        extend(std::exchange(m_earlyLast, 0), std::exchange(m_early, {}));
        Q_EMIT loaded();
    }
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || m_loading)
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
    if (seq <= 0 || m_loading)
        return -1;
    if (m_levels.isEmpty())
        return seq <= m_count ? static_cast<int>(seq - 1) : -1;
    const auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), seq);
    return it != m_rows.cend() && *it == seq ? static_cast<int>(it - m_rows.cbegin()) : -1;
}

void LogModel::request(qint64 block) const
{
    m_inFlight.insert(block);
    const quint64 generation = m_generation;
    auto *self = const_cast<LogModel *>(this);
    const qint64 outer = std::exchange(m_askingBlock, block);
    m_session->logLines(store::LogQuery{m_jobId, block * kBlock, kBlock, {}, {}}, self,
                        [self, generation, block](Result<model::LogLines> r) {
                            // A failed block stays a placeholder; it is asked for again when shown again.
                            if (!r) {
                                if (generation == self->m_generation)
                                    self->m_inFlight.remove(block);
                                return;
                            }
                            self->onBlock(generation, block, r.value());
                        });
    m_askingBlock = outer;
}

void LogModel::onBlock(quint64 generation, qint64 block, const model::LogLines &lines)
{
    if (generation != m_generation)
        return;
    m_inFlight.remove(block);
    Block b;
    b.lines = lines;
    // Lines the feed brought while the block was on its way, read after it (or not at all).
    for (const auto &l : m_stash.take(block))
        if (l.seq - 1 - block * kBlock == b.lines.size())
            b.lines.append(l);
    if (m_blocks.size() >= kMaxBlocks) {
        // Evict the least recently used block.
        auto oldest = m_blocks.begin();
        for (auto it = m_blocks.begin(); it != m_blocks.end(); ++it)
            if (it->lastUse < oldest->lastUse)
                oldest = it;
        m_blocks.erase(oldest);
    }
    b.lastUse = ++m_useClock;
    m_blocks.insert(block, b);
    if (m_askingBlock == block)
        return; // answered inside data(): the row is read right away
    const qint64 firstSeq = block * kBlock + 1;
    const qint64 lastSeq = (block + 1) * kBlock;
    int first = 0;
    int last = -1;
    if (m_levels.isEmpty()) {
        first = static_cast<int>(firstSeq - 1);
        last = static_cast<int>(std::min(lastSeq, m_count) - 1);
    } else {
        first = static_cast<int>(std::lower_bound(m_rows.cbegin(), m_rows.cend(), firstSeq) - m_rows.cbegin());
        last = static_cast<int>(std::upper_bound(m_rows.cbegin(), m_rows.cend(), lastSeq) - m_rows.cbegin()) - 1;
    }
    if (first <= last && last < rowCount())
        Q_EMIT dataChanged(index(first), index(last));
}

const model::LogLine *LogModel::line(qint64 seq) const
{
    const qint64 block = (seq - 1) / kBlock;
    const qint64 offset = seq - 1 - block * kBlock;
    auto it = m_blocks.find(block);
    if (it != m_blocks.end() && offset >= it->lines.size() && !m_inFlight.contains(block)) {
        // Short of a line the model counts (read before that line was committed, and the feed's
        // copy missed it): read the block again.
        m_blocks.erase(it);
        it = m_blocks.end();
    }
    if (it == m_blocks.end()) {
        if (!m_inFlight.contains(block))
            request(block);
        it = m_blocks.find(block); // answered at once
        if (it == m_blocks.end())
            return nullptr;
    }
    it->lastUse = ++m_useClock;
    return offset < it->lines.size() ? &it->lines.at(offset) : nullptr;
}

const model::LogLine *LogModel::lineAt(int row) const
{
    const qint64 seq = seqForRow(row);
    return seq > 0 ? line(seq) : nullptr;
}

void LogModel::onAppended(const QString &jobId, qint64 lastSeq, const model::LogLines &lines)
{
    if (jobId != m_jobId || m_jobId.isEmpty())
        return;
    if (m_loading) {
        m_early += lines;
        m_earlyLast = std::max(m_earlyLast, lastSeq);
        return;
    }
    extend(lastSeq, lines);
}

void LogModel::extend(qint64 lastSeq, const model::LogLines &lines)
{
    if (lastSeq <= 0)
        return;
    // Keep loaded tail blocks current so they never need a re-read.
    for (const auto &l : lines) {
        const qint64 block = (l.seq - 1) / kBlock;
        if (m_inFlight.contains(block)) {
            m_stash[block].append(l);
            continue;
        }
        auto it = m_blocks.find(block);
        if (it != m_blocks.end() && it->lines.size() == (l.seq - 1) % kBlock)
            it->lines.append(l);
    }
    if (m_levels.isEmpty()) {
        if (lastSeq > m_count) {
            beginInsertRows({}, static_cast<int>(m_count), static_cast<int>(lastSeq - 1));
            m_count = lastSeq;
            endInsertRows();
        }
        return;
    }
    m_count = std::max(m_count, lastSeq);
    if (lastSeq <= m_seenUpTo)
        return;
    // The lines say which new seqs match only when they follow on from what was seen; else (a
    // session that announced the seq alone, or a tail read under way) ask for them.
    const bool follows =
        !m_tailInFlight && !lines.isEmpty() && lines.first().seq <= m_seenUpTo + 1 && lines.last().seq >= lastSeq;
    if (!follows)
        return requestTail();
    QList<qint64> fresh;
    for (const auto &l : lines)
        if (l.seq > m_seenUpTo && m_levels.contains(l.level))
            fresh.append(l.seq);
    m_seenUpTo = lastSeq;
    appendRows(fresh);
}

void LogModel::requestTail()
{
    if (m_tailInFlight)
        return;
    m_tailInFlight = true;
    const quint64 generation = m_generation;
    const qint64 upTo = m_count;
    m_session->logLines(store::LogQuery{m_jobId, m_seenUpTo, kBlock, m_levels, {}}, this,
                        [this, generation, upTo](Result<model::LogLines> r) {
                            if (generation != m_generation)
                                return;
                            m_tailInFlight = false;
                            if (!r)
                                return; // the next append asks again
                            QList<qint64> seqs;
                            for (const auto &l : r.value())
                                seqs.append(l.seq);
                            m_seenUpTo = r->size() == kBlock ? r->last().seq : std::max(m_seenUpTo, upTo);
                            appendRows(seqs);
                            if (m_count > m_seenUpTo)
                                requestTail();
                        });
}

void LogModel::appendRows(const QList<qint64> &seqs)
{
    QList<qint64> fresh;
    for (qint64 s : seqs)
        if (s > (fresh.isEmpty() ? (m_rows.isEmpty() ? 0 : m_rows.last()) : fresh.last()))
            fresh.append(s);
    if (fresh.isEmpty())
        return;
    beginInsertRows({}, static_cast<int>(m_rows.size()), static_cast<int>(m_rows.size() + fresh.size() - 1));
    m_rows.append(fresh);
    endInsertRows();
}

void LogModel::find(const QString &text, int fromRow, bool forward, std::function<void(int)> done)
{
    if (text.isEmpty() || m_jobId.isEmpty() || m_loading)
        return done(-1);
    const qint64 last = m_levels.isEmpty() ? m_count : (m_rows.isEmpty() ? 0 : m_rows.last());
    const qint64 from = fromRow < 0 ? (forward ? 0 : last + 1) : seqForRow(fromRow);
    const quint64 generation = m_generation;
    m_session->findInLog(m_jobId, from, text, forward, m_levels, this, [this, generation, done](Result<qint64> r) {
        done(r && generation == m_generation ? rowForSeq(r.value()) : -1);
    });
}

void LogModel::firstError(std::function<void(int)> done)
{
    if (m_jobId.isEmpty() || m_loading)
        return done(-1);
    const quint64 generation = m_generation;
    m_session->logLines(store::LogQuery{m_jobId, 0, 1, {LogLevel::Error}, {}}, this,
                        [this, generation, done](Result<model::LogLines> r) {
                            done(r && !r->isEmpty() && generation == m_generation ? rowForSeq(r->first().seq) : -1);
                        });
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    if (role == SeqRole)
        return seqForRow(index.row());
    if (role != Qt::DisplayRole && role != Qt::ForegroundRole && role != LevelRole && role != MessageRole &&
        role != Qt::ToolTipRole && role != PendingRole)
        return {};
    const model::LogLine *l = lineAt(index.row());
    if (!l) {
        switch (role) {
        case Qt::DisplayRole: return kPlaceholder;
        case PendingRole: return true;
        case Qt::ForegroundRole: return QBrush(placeholderColour());
        case Qt::ToolTipRole: return tr("#%1 · loading").arg(seqForRow(index.row()));
        default: return {};
        }
    }
    switch (role) {
    case Qt::DisplayRole:
        return m_timestamps ? QString(l->ts.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")) +
                                      QStringLiteral("  ") + l->message)
                            : l->message;
    case MessageRole: return l->message;
    case LevelRole: return static_cast<int>(l->level);
    case PendingRole: return false;
    case Qt::ForegroundRole: {
        const QColor c = levelColour(l->level);
        return c.isValid() ? QVariant(QBrush(c)) : QVariant();
    }
    case Qt::ToolTipRole: {
        // The whole line, wrapped (rich text wraps, plain text would not), up to a screenful.
        const bool cut = l->message.size() > kTooltipChars;
        return QStringLiteral("<p style='white-space:pre-wrap'><b>#%1 · %2 · %3 · %4</b><br>%5%6</p>")
            .arg(l->seq)
            .arg(model::toString(l->level), model::toString(l->source), l->ts.toLocalTime().toString(Qt::ISODateWithMs),
                 l->message.left(kTooltipChars).toHtmlEscaped(),
                 cut ? tr("… (%1 more characters; copy the line for all of it)").arg(l->message.size() - kTooltipChars)
                     : QString());
    }
    default: break;
    }
    return {};
}

} // namespace cd::ui
