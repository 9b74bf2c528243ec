//! Answers from the APIs we call (Twilio, the model endpoint) are read up to a limit, so a broken
//! or hostile endpoint cannot make us buffer an unbounded body.
use axum::body::Bytes;

/// Why an answer's body was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// The body of `response`, if it is at most `limit` bytes; a larger one is refused as soon as its
/// `Content-Length` says so, or as soon as that many bytes have come.
pub async fn read_at_most(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, ReadError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(ReadError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    /// A loopback server answering `size` bytes, with or without a Content-Length.
    async fn serve(size: usize, chunked: bool) -> String {
        let app = axum::Router::new().fallback(move || async move {
            let bytes = vec![b'x'; size];
            if chunked {
                let stream = futures::stream::iter(
                    bytes
                        .chunks(1024)
                        .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                        .collect::<Vec<_>>(),
                );
                Body::from_stream(stream)
            } else {
                Body::from(bytes)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}/")
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_and_a_larger_one_refused() {
        for chunked in [false, true] {
            let small = serve(4 * 1024, chunked).await;
            let response = reqwest::get(&small).await.expect("request");
            assert_eq!(
                read_at_most(response, 4 * 1024).await.expect("read").len(),
                4 * 1024
            );
            let big = serve(64 * 1024, chunked).await;
            let response = reqwest::get(&big).await.expect("request");
            assert!(
                matches!(
                    read_at_most(response, 8 * 1024).await,
                    Err(ReadError::TooLarge(8192))
                ),
                "chunked: {chunked}"
            );
        }
    }
}
