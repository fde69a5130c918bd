#include "logmodel.h"

#include "logs/logbus.h"
#include "store/logstore.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QScopedValueRollback>

namespace cd::ui {

using model::LogLevel;

LogModel::LogModel(store::LogStore *store, logs::LogBus *bus, QObject *parent)
    : QAbstractListModel(parent), m_store(store)
{
    connect(bus, &logs::LogBus::linesAppended, this, &LogModel::onLines);
}

void LogModel::setJob(const QString &jobId)
{
    beginResetModel();
    m_jobId = jobId;
    m_lines.clear();
    m_complete = jobId.isEmpty();
    {
        // Listeners to modelReset must not pull pages before the reset is over.
        const QScopedValueRollback guard(m_fetching, true);
        endResetModel();
    }
    if (!jobId.isEmpty())
        fetchMore({});
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_lines.size());
}

bool LogModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_complete && !m_fetching;
}

void LogModel::fetchMore(const QModelIndex &parent)
{
    // Model testers and views may ask again from inside our own rowsAboutToBeInserted.
    if (parent.isValid() || m_complete || m_fetching)
        return;
    const QScopedValueRollback guard(m_fetching, true);
    const qint64 after = m_lines.isEmpty() ? 0 : m_lines.last().seq;
    const auto page = m_store->lines(store::LogQuery{m_jobId, after, kPage, {}, {}});
    if (page.size() < kPage)
        m_complete = true;
    if (page.isEmpty())
        return;
    const int first = static_cast<int>(m_lines.size());
    beginInsertRows({}, first, first + static_cast<int>(page.size()) - 1);
    m_lines.append(page);
    endInsertRows();
}

void LogModel::onLines(const QString &jobId, const model::LogLines &lines)
{
    if (jobId != m_jobId || !m_complete || lines.isEmpty())
        return;
    const qint64 last = m_lines.isEmpty() ? 0 : m_lines.last().seq;
    model::LogLines fresh;
    for (const auto &l : lines)
        if (l.seq > last)
            fresh.append(l);
    if (fresh.isEmpty())
        return;
    const int first = static_cast<int>(m_lines.size());
    beginInsertRows({}, first, first + static_cast<int>(fresh.size()) - 1);
    m_lines.append(fresh);
    endInsertRows();
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_lines.size())
        return {};
    const model::LogLine &l = m_lines.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return QString(l.ts.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")) + QStringLiteral("  ") + l.message);
    case LevelRole: return static_cast<int>(l.level);
    case SeqRole: return l.seq;
    case Qt::ForegroundRole:
        switch (l.level) {
        case LogLevel::Error: return QBrush(QColor(0xd0, 0x3b, 0x3b));
        case LogLevel::Warning: return QBrush(QColor(0xb0, 0x7d, 0x12));
        case LogLevel::Success: return QBrush(QColor(0x2e, 0x9d, 0x4f));
        case LogLevel::Summary: return QBrush(QColor(0x7b, 0x4f, 0xc9));
        case LogLevel::Debug: return QBrush(QColor(0x88, 0x88, 0x88));
        case LogLevel::Info: break;
        }
        return {};
    case Qt::ToolTipRole:
        return QStringLiteral("#%1 · %2 · %3").arg(l.seq).arg(model::toString(l.level), model::toString(l.source));
    default: break;
    }
    return {};
}

} // namespace cd::ui
