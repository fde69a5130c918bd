#include "jobfilterproxy.h"

#include "jobtablemodel.h"

namespace cd::ui {

void JobFilterProxy::setFilter(const model::JobFilter &filter)
{
    m_filter = filter;
    invalidateRowsFilter();
}

bool JobFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QVariant v = sourceModel()->index(sourceRow, 0, sourceParent).data(JobTableModel::JobRole);
    return !v.isValid() || m_filter.matches(v.value<model::Job>());
}

} // namespace cd::ui
