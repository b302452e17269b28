"""The wiring of 双随机、一公开: the item list and directories, plans and draws, tasks and
results, and their figures."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.deps.core import CoreWiring

if TYPE_CHECKING:
    from chalicelib.domain.identity import StaffMember
    from chalicelib.services.inspection_directory import InspectionDirectoryService
    from chalicelib.services.inspection_figures import InspectionFiguresService
    from chalicelib.services.inspection_plans import InspectionPlanService
    from chalicelib.services.inspection_results import InspectionResults
    from chalicelib.services.inspection_staffing import InspectionStaffing
    from chalicelib.services.inspection_tasks import InspectionTaskService
    from chalicelib.services.inspectors import InspectorDirectory
    from chalicelib.store.inspection_plans import InspectionPlanStore
    from chalicelib.store.inspections import InspectionDirectoryStore


class InspectionWiring(CoreWiring):
    @cached_property
    def inspection_store(self) -> InspectionDirectoryStore:
        from chalicelib.store.inspections import InspectionDirectoryStore

        return InspectionDirectoryStore(self.table)

    @cached_property
    def plan_store(self) -> InspectionPlanStore:
        from chalicelib.store.inspection_plans import InspectionPlanStore

        return InspectionPlanStore(self.table)

    @cached_property
    def inspection_directory(self) -> InspectionDirectoryService:
        from chalicelib.services.inspection_directory import InspectionDirectoryService

        return InspectionDirectoryService(
            self.inspection_store,
            self.reference,
            self.cursors,
            self.clock,
            self.request_store,
        )

    @cached_property
    def inspectors(self) -> InspectorDirectory:
        from chalicelib.services.inspectors import InspectorDirectory

        return InspectorDirectory(
            self.inspection_store, self.reference, self.clock, self._staff_account
        )

    def _staff_account(self, staff_id: str) -> StaffMember | None:
        from chalicelib.store.staff import StaffStore

        record = StaffStore(self.table).record(staff_id)
        return record.member if record else None

    @cached_property
    def inspection_plans(self) -> InspectionPlanService:
        from chalicelib.services.inspection_plans import InspectionPlanService

        return InspectionPlanService(
            self.plan_store,
            self.inspection_store,
            self.inspection_directory,
            self.document_storage,
            self.reference,
            self.cursors,
            self.clock,
        )

    @cached_property
    def inspection_tasks(self) -> InspectionTaskService:
        from chalicelib.services.inspection_tasks import InspectionTaskService

        return InspectionTaskService(
            self.plan_store,
            self.inspection_store,
            self.request_store,
            self.document_storage,
            self.reference,
            self.cursors,
            self.clock,
        )

    @cached_property
    def inspection_staffing(self) -> InspectionStaffing:
        from chalicelib.services.inspection_staffing import InspectionStaffing

        return InspectionStaffing(self.plan_store, self.inspection_store, self.clock)

    @cached_property
    def inspection_results(self) -> InspectionResults:
        from chalicelib.services.inspection_results import InspectionResults

        return InspectionResults(
            self.plan_store, self.inspection_store, self.reference, self.cursors
        )

    @cached_property
    def inspection_figures(self) -> InspectionFiguresService:
        from chalicelib.services.inspection_figures import InspectionFiguresService

        return InspectionFiguresService(self.plan_store, self.reference, self.clock)
