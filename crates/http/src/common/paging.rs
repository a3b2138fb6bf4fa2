//! Every paged list (tasks, events, assistants, tools) takes `cursor` and `limit`
//! and answers an object holding the page under the resource's plural name and
//! `next_cursor`, absent on the last page. A limit out of 1–200 or a cursor the
//! list did not return answers 422 naming the parameter, on every list alike.

use agentry_domain::page::{Key, Page, PageRequest};

use super::problem::ApiResult;

/// The page a request asks for.
///
/// # Errors
/// 422 on `cursor` or `limit`.
pub fn request<K: Key>(cursor: Option<&str>, limit: Option<u32>) -> ApiResult<PageRequest<K>> {
    Ok(PageRequest::parse(cursor, limit)?)
}

/// The page's items, converted, and the cursor of the next page.
pub fn items<T, K: Key, U>(
    page: Page<T, K>,
    convert: impl FnMut(T) -> U,
) -> (Vec<U>, Option<String>) {
    let next = page.next.as_ref().map(|c| c.encode());
    (page.items.into_iter().map(convert).collect(), next)
}
