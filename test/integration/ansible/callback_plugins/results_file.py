# A notification callback for the tests: writes every task result, as the module returned it (diff included),
# to the JSON file named by RUNDOCK_TEST_RESULTS. The stdout callback is left as it is.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: results_file
type: notification
short_description: write task results to the JSON file named by RUNDOCK_TEST_RESULTS
description: Used by rundock's Ansible integration tests.
requirements:
  - enabled via ANSIBLE_CALLBACKS_ENABLED=results_file (and ANSIBLE_LOAD_CALLBACK_PLUGINS=1 for ad-hoc commands)
'''

import json
import os

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import module_response_deepcopy, strip_internal_keys


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'results_file'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = []

    def _record(self, result, status):
        self.results.append(dict(
            task=result._task.get_name(),
            host=result._host.get_name(),
            status=status,
            result=strip_internal_keys(module_response_deepcopy(result._result)),
        ))
        path = os.environ.get('RUNDOCK_TEST_RESULTS')
        if path:
            with open(path + '.tmp', 'w') as f:
                json.dump(self.results, f, cls=AnsibleJSONEncoder)
            os.rename(path + '.tmp', path)

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
