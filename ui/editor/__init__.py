"""The record editor, in one place: ``form`` (a form definition's sections as pages with live
checks, the ``FormEditor`` widget), ``panel`` (a column of questions: a section, a repeat's row, a
group's frame), ``review`` (the last page: every answer, what is wrong or missing) and ``window``
(the editor's window: save, drafts, history, closing with unsaved changes)."""
