#pragma once

#include "model/jobfilter.h"

#include <QSortFilterProxyModel>

namespace cd::ui {

// Sorting plus the same filter `GET /api/jobs` uses (status, backend, text).
class JobFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setFilter(const model::JobFilter &filter);
    const model::JobFilter &filter() const { return m_filter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    model::JobFilter m_filter;
};

} // namespace cd::ui
