#include "jobtablemodel.h"

#include "store/jobstore.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace cd::ui {

using model::JobStatus;

namespace {
QColor statusColour(JobStatus s)
{
    switch (s) {
    case JobStatus::Completed: return QColor(0x2e, 0x9d, 0x4f);
    case JobStatus::Failed:
    case JobStatus::TimedOut: return QColor(0xd0, 0x3b, 0x3b);
    case JobStatus::Running:
    case JobStatus::Starting: return QColor(0x2f, 0x7c, 0xd6);
    case JobStatus::Cancelling:
    case JobStatus::Cancelled: return QColor(0xb0, 0x7d, 0x12);
    case JobStatus::Queued: break;
    }
    return QColor(0x80, 0x80, 0x80);
}

QString duration(qint64 secs)
{
    if (secs < 0)
        return QStringLiteral("—");
    if (secs < 60)
        return QStringLiteral("%1 s").arg(secs);
    if (secs < 3600)
        return QStringLiteral("%1 min %2 s").arg(secs / 60).arg(secs % 60);
    return QStringLiteral("%1 h %2 min").arg(secs / 3600).arg((secs % 3600) / 60);
}
} // namespace

JobTableModel::JobTableModel(store::JobStore *store, QObject *parent) : QAbstractTableModel(parent), m_store(store)
{
    connect(m_store, &store::JobStore::jobAdded, this, &JobTableModel::onAdded);
    connect(m_store, &store::JobStore::jobChanged, this, &JobTableModel::onChanged);
    reload();
}

void JobTableModel::reload()
{
    beginResetModel();
    store::JobFilter f;
    f.limit = 2000;
    m_jobs = m_store->jobs(f);
    reindex();
    endResetModel();
}

void JobTableModel::reindex()
{
    m_rows.clear();
    for (int i = 0; i < m_jobs.size(); ++i)
        m_rows.insert(m_jobs.at(i).id, i);
}

int JobTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_jobs.size());
}

int JobTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

std::optional<model::Job> JobTableModel::jobAt(int row) const
{
    if (row < 0 || row >= m_jobs.size())
        return std::nullopt;
    return m_jobs.at(row);
}

int JobTableModel::rowOf(const QString &jobId) const
{
    return m_rows.value(jobId, -1);
}

QVariant JobTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_jobs.size())
        return {};
    const model::Job &j = m_jobs.at(index.row());
    if (role == JobIdRole)
        return j.id;
    if (role == StatusRole)
        return static_cast<int>(j.status);
    if (role == ProgressRole)
        return j.progress;
    if (role == SortRole) {
        // Values that sort correctly, unlike the display strings.
        switch (index.column()) {
        case Created: return j.createdAt;
        case Progress: return j.progress;
        case Duration: return j.durationSecs();
        case Attempt: return j.attempt;
        case Status: return static_cast<int>(j.status);
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status)
        return QBrush(statusColour(j.status));
    if (role == Qt::ToolTipRole && index.column() == Status && !j.error.isEmpty())
        return j.error;
    if (role == Qt::ToolTipRole && index.column() == Id)
        return j.id;
    if (role == Qt::TextAlignmentRole && (index.column() == Progress || index.column() == Attempt))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id: return j.id.left(8);
    case Kind: {
        const QString profile = j.params.value(QStringLiteral("profile")).toString();
        return profile.isEmpty() ? j.kind : j.kind + QStringLiteral(" · ") + profile;
    }
    case Backend: return model::toString(j.backend);
    case Status: return model::toString(j.status).replace(u'_', u' ');
    case Progress: return QStringLiteral("%1%").arg(j.progress);
    case Created: return QLocale().toString(j.createdAt.toLocalTime(), QLocale::ShortFormat);
    case Duration: return duration(j.durationSecs());
    case Attempt: return QStringLiteral("%1/%2").arg(j.attempt).arg(j.maxAttempts);
    default: break;
    }
    return {};
}

QVariant JobTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Job", "Kind", "Backend", "Status", "Progress", "Created", "Duration", "Attempt"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void JobTableModel::onAdded(const model::Job &job)
{
    if (m_rows.contains(job.id))
        return onChanged(job);
    beginInsertRows({}, 0, 0);
    m_jobs.prepend(job);
    reindex();
    endInsertRows();
}

void JobTableModel::onChanged(const model::Job &job)
{
    const int row = rowOf(job.id);
    if (row < 0)
        return onAdded(job);
    m_jobs[row] = job;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

} // namespace cd::ui
