SELECT
  `t7`.`__p` AS `period`,
  COALESCE(`t7`.`__n0`, 0) AS `orders`,
  CAST(COALESCE(`t7`.`__n1`, 0) AS DOUBLE) AS `order_amount`
FROM (
  SELECT
    `t6`.`__p`,
    MAX(`t6`.`__in`) AS `__in`,
    MAX(`t6`.`__n0`) AS `__n0`,
    MAX(`t6`.`__n1`) AS `__n1`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t0`.`__p`,
        1 AS `__in`,
        NULL AS `__n0`,
        NULL AS `__n1`
      FROM `onpace_periods_063a42815b05` AS `t0`
    ) AS `t2`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST(`t4`.`__p` AS DATETIME) AS DATE) AS `__p`,
        NULL AS `__in`,
        `t4`.`__n0`,
        `t4`.`__n1`
      FROM (
        SELECT
          `t3`.`__p`,
          COUNT(*) AS `__n0`,
          SUM(`t3`.`amount`) AS `__n1`
        FROM (
          SELECT
            `t1`.`amount`,
            `t1`.`order_date` AS `__d_order_date`,
            `t1`.`order_date` AS `__t`,
            DATE_FORMAT(`t1`.`order_date`, '%Y-%m-01') AS `__p`
          FROM `onpace_it_orders` AS `t1`
          WHERE
            `t1`.`order_date` <= DATE('2024-12-31')
            AND `t1`.`order_date` >= DATE('2024-01-01')
        ) AS `t3`
        GROUP BY
          1
      ) AS `t4`
    ) AS `t5`
  ) AS `t6`
  GROUP BY
    1
) AS `t7`
WHERE
  `t7`.`__in` IS NOT NULL AND `t7`.`__p` >= DATE('2024-01-01')
