#include "aboutdialog.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QVBoxLayout>
#include <QtGlobal>

namespace cd::ui {

AboutDialog::AboutDialog(const QString &server, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("About Crawldeck"));
    auto *icon = new QLabel(this);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/crawldeck.svg")).pixmap(64, 64));
    icon->setAlignment(Qt::AlignTop);
    const QString version = QCoreApplication::applicationVersion().isEmpty()
                                ? tr("development build")
                                : tr("version %1").arg(QCoreApplication::applicationVersion());
    m_text = new QLabel(this);
    m_text->setTextFormat(Qt::RichText);
    m_text->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_text->setOpenExternalLinks(true);
    m_text->setText(tr("<h2>Crawldeck</h2><p>%1</p><p>A control panel for crawl jobs: local processes, RunPod "
                       "and outside workers, with their logs and results.</p>"
                       "<p><b>Server:</b> %2</p><p>Qt %3 (built with %4)</p>")
                        .arg(version.toHtmlEscaped(), server.isEmpty() ? tr("not known yet") : server.toHtmlEscaped(),
                             QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR)));
    m_text->setWordWrap(true);
    m_text->setMinimumWidth(380);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *row = new QHBoxLayout;
    row->addWidget(icon);
    row->addWidget(m_text, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(row);
    layout->addWidget(buttons);
}

QString AboutDialog::text() const
{
    return m_text->text();
}

} // namespace cd::ui
