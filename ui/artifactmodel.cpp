#include "artifactmodel.h"

#include "session/session.h"

#include <QLocale>

#include <algorithm>

namespace cd::ui {

ArtifactModel::ArtifactModel(session::Session *session, QObject *parent)
    : QAbstractTableModel(parent), m_session(session)
{
    connect(m_session, &session::Session::jobChanged, this, [this](const model::Job &job) {
        if (job.id == m_jobId && model::isTerminal(job.status))
            refresh();
    });
    connect(m_session, &session::Session::resultDownloadProgress, this, &ArtifactModel::onDownloadProgress);
    connect(m_session, &session::Session::resultDownloadFinished, this, &ArtifactModel::onDownloadFinished);
}

void ArtifactModel::setJob(const QString &jobId)
{
    if (jobId != m_jobId) {
        beginResetModel();
        m_jobId = jobId;
        m_items.clear();
        m_downloads.clear();
        endResetModel();
    }
    refresh();
}

void ArtifactModel::refresh()
{
    const quint64 generation = ++m_generation;
    if (m_jobId.isEmpty())
        return onList({});
    m_session->artifacts(m_jobId, this, [this, generation](Result<QList<model::Artifact>> items) {
        if (generation == m_generation && items)
            onList(items.value());
    });
}

void ArtifactModel::onList(const QList<model::Artifact> &items)
{
    beginResetModel();
    m_items = items;
    // A finished download is an artifact now; the ones still running keep their progress rows.
    QList<Download> still;
    for (const Download &d : std::as_const(m_downloads)) {
        const bool listed =
            std::any_of(m_items.cbegin(), m_items.cend(), [&](const model::Artifact &a) { return a.name == d.name; });
        if (!listed)
            still.append(d);
    }
    m_downloads = still;
    endResetModel();
}

std::optional<model::Artifact> ArtifactModel::artifactAt(int row) const
{
    if (row < 0 || row >= m_items.size())
        return std::nullopt;
    return m_items.at(row);
}

int ArtifactModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_items.size() + m_downloads.size());
}

void ArtifactModel::onDownloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total)
{
    if (jobId != m_jobId)
        return;
    for (qsizetype i = 0; i < m_downloads.size(); ++i) {
        if (m_downloads.at(i).name != name)
            continue;
        m_downloads[i].received = received;
        m_downloads[i].total = total;
        const int row = static_cast<int>(m_items.size() + i);
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_downloads.append(Download{name, received, total});
    endInsertRows();
}

void ArtifactModel::onDownloadFinished(const QString &jobId, const QString &name, bool ok)
{
    if (jobId != m_jobId)
        return;
    for (qsizetype i = 0; i < m_downloads.size(); ++i) {
        if (m_downloads.at(i).name != name)
            continue;
        const int row = static_cast<int>(m_items.size() + i);
        beginRemoveRows({}, row, row);
        m_downloads.removeAt(i);
        endRemoveRows();
        break;
    }
    if (ok)
        refresh();
}

int ArtifactModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ArtifactModel::humanSize(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QVariant ArtifactModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    if (index.row() >= m_items.size()) {
        const Download &d = m_downloads.at(index.row() - m_items.size());
        if (role != Qt::DisplayRole)
            return {};
        switch (index.column()) {
        case Name: return d.name;
        case Size: return humanSize(d.received);
        case Type: return tr("downloading");
        case Source:
            return d.total > 0 ? tr("downloading… %1% of %2").arg(d.received * 100 / d.total).arg(humanSize(d.total))
                               : tr("downloading…");
        default: break;
        }
        return {};
    }
    const model::Artifact &a = m_items.at(index.row());
    if (role == Qt::ToolTipRole)
        return QStringLiteral("sha256 %1").arg(a.sha256);
    if (role == Qt::TextAlignmentRole && index.column() == Size)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name: return a.name;
    case Size: return humanSize(a.size);
    case Type: return a.mime;
    case Source: return a.sourceUrl.isEmpty() ? tr("written by the worker") : a.sourceUrl;
    default: break;
    }
    return {};
}

QVariant ArtifactModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Name", "Size", "Type", "Source"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace cd::ui
