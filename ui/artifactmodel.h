#pragma once

#include "model/artifact.h"

#include <QAbstractTableModel>

namespace cd::store {
class JobStore;
}

namespace cd::ui {

// A job's artifacts (result files), refreshed when the job changes.
class ArtifactModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Size, Type, Source, ColumnCount };
    explicit ArtifactModel(store::JobStore *store, QObject *parent = nullptr);

    void setJob(const QString &jobId);
    void refresh();
    std::optional<model::Artifact> artifactAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString humanSize(qint64 bytes);

    // A result download for this job: shown as a row until it finishes.
    void onDownloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total);
    void onDownloadFinished(const QString &jobId, const QString &name, bool ok);
    int downloadsInFlight() const { return static_cast<int>(m_downloads.size()); }

private:
    store::JobStore *m_store;
    QString m_jobId;
    QList<model::Artifact> m_items;
    struct Download
    {
        QString name;
        qint64 received = 0;
        qint64 total = -1;
    };
    QList<Download> m_downloads;
};

} // namespace cd::ui
